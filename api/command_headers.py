"""The headers a command reads: Idempotency-Key and If-Match, and how /openapi.json states them."""

from __future__ import annotations

import re
from typing import Any

from api.problems import ProblemError

MAX_KEY = 200
# Printable ASCII without spaces: a header value keeps no surrounding blanks, and no other
# characters survive every HTTP client and proxy unchanged.
IDEMPOTENCY_KEY = re.compile(rf"[!-~]{{1,{MAX_KEY}}}")
# What `expected_version` reads: a version of at most 18 digits, quoted as an ETag or not.
IF_MATCH = r'^(W/)?"*[0-9]{1,18}"*$'

DOCUMENTED: list[dict[str, Any]] = [
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": (
            "The same key and body give the first answer again: 1 to "
            f"{MAX_KEY} printable ASCII characters without spaces (422 invalid_idempotency_key)"
        ),
        "schema": {"type": "string", "pattern": f"^{IDEMPOTENCY_KEY.pattern}$"},
    },
    {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": (
            'The version the command expects, as the last ETag gave it ("3"; W/"3" and 3 are '
            "read alike): 412 if stale, 400 invalid_if_match if not a version"
        ),
        "schema": {"type": "string", "pattern": IF_MATCH},
    },
]


def idempotency_key(header: str | None) -> str | None:
    if header is not None and not IDEMPOTENCY_KEY.fullmatch(header):
        raise ProblemError(
            422,
            "invalid_idempotency_key",
            f"Idempotency-Key must be 1 to {MAX_KEY} printable ASCII characters without spaces",
        )
    return header


def expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    # str.isdigit() also takes "²" and other digits int() refuses; a version fits in 18 digits.
    if not (tag.isascii() and tag.isdigit() and len(tag) <= 18):
        raise ProblemError(
            400,
            "invalid_if_match",
            "If-Match must carry a version number",
            'Send the ETag of the last answer, e.g. "3"',
        )
    return int(tag)
