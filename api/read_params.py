"""Query parameters the reads share: the moment to answer as of, paging by offset, and a
program named by its id or its code."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Path, Query

from api.bodies import CANONICAL_UUID, Moment
from api.problems import ProblemError
from domain.base import NotFoundError
from domain.program import Program, program_id_for

KnownAt = Annotated[
    Moment | None, Query(description="Answer as the ledger knew it at this moment (RFC 3339)")
]
Limit = Annotated[int, Query(ge=1, le=500)]
# A cursor is the page's offset in decimal digits, base64url-encoded; the pattern says exactly
# that, so any cursor it allows can be read. Three digits make four characters (the first two
# depend on the first digit, 0-7 or 8-9); a tail of one or two digits is padded with "=".
_DIGIT_PAIR = "(?:[MN][DTjz]|O[DT])"
_GROUP = f"{_DIGIT_PAIR}[AEIMQUYcgk][w-z0-5]"
_TAIL = f"(?:{_DIGIT_PAIR}[AEIMQUYcgk]=|(?:[MN][AQgw]|O[AQ])==)"
CURSOR = f"^(?:(?:{_GROUP})+{_TAIL}?|{_TAIL})$"
Cursor = Annotated[
    str | None,
    Query(max_length=40, pattern=CURSOR, description="`next_cursor` of the page before"),
]


# A program's id (a dashed UUID) or its code, as ProgramBody's `code` allows it. A code spelled
# like a dashed UUID is taken as the id: ids are what the API hands out.
PROGRAM_CODE = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
PROGRAM_REF = rf"^(?:{CANONICAL_UUID.pattern}|{PROGRAM_CODE})$"
_PROGRAM_REF_TEXT = "A program's id (dashed UUID) or its code (case-insensitive, e.g. STEP)"
ProgramRef = Annotated[str, Query(pattern=PROGRAM_REF, description=_PROGRAM_REF_TEXT)]
ProgramRefOrAll = Annotated[
    str | None, Query(pattern=PROGRAM_REF, description=_PROGRAM_REF_TEXT + "; none: all yours")
]
ProgramPath = Annotated[str, Path(pattern=PROGRAM_REF, description=_PROGRAM_REF_TEXT)]


def program_id_of(ref: str) -> UUID:
    """The id a program reference names: the id itself, or the one its code derives."""
    if CANONICAL_UUID.fullmatch(ref):
        return UUID(ref)
    return program_id_for(ref)


# Past any page there is: a cursor naming more rows than this is not one this API gave (the
# databases' OFFSET is 64-bit, and a larger one failed the read).
MAX_OFFSET = 2**40


def offset_of(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except ValueError:
        offset = -1
    if not 0 <= offset <= MAX_OFFSET:
        raise ProblemError(400, "invalid_cursor", "The cursor is not one this API gave")
    return offset


def page(items: list[Any], limit: int, cursor: str | None) -> tuple[list[Any], str | None]:
    """The page of `items` the cursor names, and the cursor of the next page if any."""
    start = offset_of(cursor)
    end = start + limit
    return items[start:end], cursor_at(end) if end < len(items) else None


def cursor_at(offset: int) -> str:
    """The cursor of the page that starts at `offset`."""
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def known_program(ledger: Any, ref: str) -> UUID:
    """The id of the program `ref` names, or a 404 problem if the ledger has none such."""
    program_id = program_id_of(ref)
    try:
        ledger.load(Program, program_id)
    except NotFoundError:
        raise ProblemError(
            404, "not_found", f"No program {ref}",
            "Name a program by its id or its code; GET /v1/programs lists those you may read",
        ) from None  # fmt: skip
    return program_id


def program_as_known(ledger: Any, program_id: UUID, known_at: datetime | None) -> Program:
    """The program as known at `known_at` (now, if None), or a 404 problem naming the way to
    find one: unknown, or not yet defined then."""
    try:
        program: Program = ledger.load_as_known(Program, program_id, known_at)
    except NotFoundError as error:
        raise ProblemError(
            404, "not_found", str(error),
            "Name a program by its id or its code, known at `known_at` if you give one;"
            " GET /v1/programs lists those you may read",
        ) from None  # fmt: skip
    return program
