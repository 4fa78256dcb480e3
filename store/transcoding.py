"""How event state becomes bytes and back: the library's JSON format, read with orjson."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    UUIDAsHex,
)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class _ReadByLibraryError(Exception):
    """This document holds a value orjson may read differently from `json`."""


class LedgerTranscoder(JSONTranscoder):
    """The library's JSON transcoder, reading with orjson: what is written stays the same.

    Every reader of the log decodes each event (a rebuild decodes the whole log): orjson parses
    faster than `json` with an object hook (ops/bench/DECISIONS.md). Typed values (`{"_type_": ...,
    "_data_": ...}`) are then turned back into objects, innermost first, as the library's hook
    does. A document with a float is read by `json` instead: orjson reads an integer past 64
    bits as a float, where `json` keeps it whole. Writing stays with `json`: orjson gained
    nothing there (ops/bench/DECISIONS.md).
    """

    def decode(self, data: bytes) -> Any:
        try:
            parsed = orjson.loads(data)
            if type(parsed) is dict or type(parsed) is list:
                return self._revive(parsed)
            if type(parsed) is not float:
                return parsed
        except (orjson.JSONDecodeError, _ReadByLibraryError):  # NaN, say, is read only by `json`
            pass
        return super().decode(data)

    def _revive(self, value: Any) -> Any:
        items = value.items() if type(value) is dict else enumerate(value)
        for key, item in items:
            if type(item) is dict:
                data, name = item.get("_data_"), item.get("_type_")
                if (
                    len(item) == 2
                    and type(data) is str
                    and type(name) is str
                    and name in self.names
                ):
                    value[key] = self.names[name].decode(data)  # the usual case
                else:
                    value[key] = self._revive(item)
            elif type(item) is list:
                value[key] = self._revive(item)
            elif type(item) is float:
                raise _ReadByLibraryError
        if type(value) is dict and len(value) == 2 and "_type_" in value and "_data_" in value:
            return self._decode_obj(value)
        return value


def ledger_transcoder() -> LedgerTranscoder:
    """The transcoder of the ledger's events: the library's transcodings, and dates."""
    transcoder = LedgerTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)
    return transcoder
