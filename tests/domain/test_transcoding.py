"""The ledger reads event state with orjson: every value must come back as the library's reader
gives it, so nothing stored before (or by another reader) means something else now."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, TranscodingNotRegisteredError

from domain.vocabulary import ServiceKind
from store.transcoding import DateAsISO, LedgerTranscoder

SAMPLES = [
    {"timestamp": datetime(2025, 3, 1, 9, 30, tzinfo=UTC), "occurred_on": date(2025, 3, 1)},
    {"ids": [uuid4(), uuid4()], "nested": {"on": date(2024, 2, 29), "n": [1, {"at": uuid4()}]}},
    {"targets": {"served": 200, "housed": 50}, "scores": {"adl": 42.5}, "empty": {}},
    {"a dict that looks typed": {"_type_": "not registered", "_data_": 1, "extra": True}},
    {"_type_": "a field named like the marker", "value": "ü, ё and 𝄞"},
    {"huge": 2**70, "amount": Decimal("12.50")},
    {"not a number": float("nan"), "when": date(2025, 1, 1)},
    [date(2025, 1, 1), "plain", None, [uuid4()]],
    {"keys that are not text": {1: "one", 2.5: "two and a half"}, "pair": (uuid4(), 3)},
    {"kind": ServiceKind.HOME_CARE, "stage": "intake", "ratio": 1e16, "tiny": 5e-324},
    "a bare string",
]


def transcoders() -> tuple[JSONTranscoder, LedgerTranscoder]:
    made = (JSONTranscoder(), LedgerTranscoder())
    for transcoder in made:
        Application().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
    return made


def same(a: object, b: object) -> bool:
    """Equal, and of the same types all the way down (NaN equals NaN here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)  # type: ignore[attr-defined]
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)  # type: ignore[arg-type]
    return a == b


@pytest.mark.parametrize("value", SAMPLES)
def test_orjson_reading_gives_what_the_library_reading_gives(value: object) -> None:
    library, ledger = transcoders()
    stored = library.encode(value)
    assert ledger.encode(value) == stored  # what is written does not change
    assert same(ledger.decode(stored), library.decode(stored))


def test_typed_values_come_back_as_objects() -> None:
    _, ledger = transcoders()
    episode = UUID("12345678-1234-5678-1234-567812345678")
    decoded = ledger.decode(ledger.encode({"episode": episode, "on": [date(2025, 5, 9)]}))
    assert decoded == {"episode": episode, "on": [date(2025, 5, 9)]}
    assert type(decoded["episode"]) is UUID


def test_an_unknown_type_name_is_refused_as_the_library_refuses_it() -> None:
    library, ledger = transcoders()
    stored = b'{"x":{"_type_":"no_such_type","_data_":"1"}}'
    with pytest.raises(TranscodingNotRegisteredError):
        library.decode(stored)
    with pytest.raises(TranscodingNotRegisteredError):
        ledger.decode(stored)


def test_a_float_inside_a_typed_value_is_read_as_the_library_reads_it() -> None:
    library, ledger = transcoders()
    stored = b'{"x":[{"_type_":"date_iso","_data_":"2025-01-01"}, 1e400, 3.5]}'
    assert same(ledger.decode(stored), library.decode(stored))
