"""Query parameters the reads share: the moment to answer as of, and paging by offset."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import Query

from api.bodies import Moment
from api.problems import ProblemError

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


def offset_of(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except ValueError:
        raise ProblemError(400, "invalid_cursor", "The cursor is not one this API gave") from None


def page(items: list[Any], limit: int, cursor: str | None) -> tuple[list[Any], str | None]:
    """The page of `items` the cursor names, and the cursor of the next page if any."""
    start = offset_of(cursor)
    end = start + limit
    following = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], following
