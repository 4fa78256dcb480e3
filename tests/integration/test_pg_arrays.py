"""Arrays built in PostgreSQL's binary format reach the server as the values they were made of."""

from __future__ import annotations

from uuid import UUID, uuid4

import psycopg

from store.pg_arrays import BigintArray, ByteaArray, TextArray, UuidArray


def test_binary_arrays_arrive_as_the_values_they_were_built_from(postgres_url: str) -> None:
    ids = [uuid4(), UUID(int=0), UUID(int=2**128 - 1)]
    versions = [1, 2**62, -5]
    topics = ["ledger:Episode.ServiceDelivered", "Сопровождение ✓", ""]
    states = [b'{"a":1}', b"", bytes(range(256))]
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute(
            "SELECT %b, %b, %b, %b, cardinality(%b)",
            (
                UuidArray.of(ids),
                BigintArray.of(versions),
                TextArray.of(topics),
                ByteaArray.of(states),
                UuidArray.of([]),
            ),
        ).fetchone()
    assert row == (ids, versions, topics, states, 0)


def test_text_elements_need_no_escaping(postgres_url: str) -> None:
    """Every element keeps its length, so separators, quotes and braces need no escaping."""
    tricky = ["a,b", '"quoted"', "{braces}", "back\\slash", "new\nline", "NULL"]
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute(
            "SELECT %b, array_length(%b, 1)", (TextArray.of(tricky), TextArray.of(tricky))
        ).fetchone()
    assert row == (tricky, len(tricky))
