"""Text a client hands the ledger: what every store keeps exactly as it was given.

PostgreSQL's text columns refuse NUL, and UTF-8 cannot carry a lone surrogate (JSON can): such
text, once accepted, failed later wherever it was stored or compared. Names that label people
and events (token claims) take no control characters either.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from urllib.parse import unquote_to_bytes

from starlette.types import Scope

from api.problems import problem_content

RULE = "UTF-8 text without NUL (%00) or lone surrogates"


def storable(text: str) -> bool:
    """No NUL and no lone surrogate."""
    if text.isprintable():  # printable text has neither: the usual case, checked fast
        return True
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def plain(text: str) -> bool:
    """Storable, and without control characters (C0, DEL, C1)."""
    return text.isprintable() or (
        storable(text) and not any(unicodedata.category(c) == "Cc" for c in text)
    )


def refused_in_url(scope: Scope) -> dict[str, object] | None:
    """The problem body for a path or query parameter that is not storable text, if any.

    Checked on the raw bytes, before anything decodes them: URL decoding replaces bytes that
    are not UTF-8 (an encoded surrogate among them) with U+FFFD, which would silently change
    the text, and keeps %00 as a NUL that PostgreSQL then refuses in the middle of a query.
    """
    path: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string", b"")
    if _plain_ascii(path) and _plain_ascii(query):  # nothing encoded: the usual case
        return None
    errors = [
        {"loc": loc, "msg": f"must be {RULE}", "type": "invalid_text"}
        for loc, raw in _url_parts(path, query)
        if not _storable_bytes(raw)
    ]
    if not errors:
        return None
    return problem_content(
        422,
        "invalid_text",
        "A path or query parameter is not text the ledger can keep",
        f"Send {RULE}, percent-encoded as UTF-8",
        errors=errors,
    )


def _plain_ascii(raw: bytes) -> bool:
    return b"%" not in raw and raw.isascii()


def _url_parts(path: bytes, query: bytes) -> Iterator[tuple[list[str], bytes]]:
    """(location, percent-decoded bytes) of the path and of each query parameter's name and
    value, where anything is encoded."""
    if not _plain_ascii(path):
        yield ["path"], unquote_to_bytes(path)
    if _plain_ascii(query):
        return
    for pair in query.replace(b"+", b" ").split(b"&"):
        name, _, value = pair.partition(b"=")
        decoded_name = unquote_to_bytes(name)
        label = decoded_name.decode(errors="replace").replace("\x00", "\ufffd")[:64]
        yield ["query", label], decoded_name + b"=" + unquote_to_bytes(value)


def _storable_bytes(raw: bytes) -> bool:
    if b"\x00" in raw:
        return False
    try:
        raw.decode()  # strict UTF-8 refuses encoded surrogates as well as stray bytes
    except UnicodeDecodeError:
        return False
    return True
