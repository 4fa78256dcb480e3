"""Records found to be one person: the `links` table and its handlers, for read models that count
people (each counts a person once, under the smallest id of their records; the queries are
`projections/outcome_people.py`'s)."""

from __future__ import annotations

from typing import Any

from domain.participant import Participant
from projections.keys import text
from projections.model import ReadModel, handles, recorded_at
from store.read_store import Tx

# Two records found to be one person, as recorded on each of them, until unlinked.
LINKS = (
    "participant_id TEXT NOT NULL, other_id TEXT NOT NULL, position INTEGER NOT NULL,"
    " linked_at TEXT NOT NULL, unlinked_at TEXT,"
    " PRIMARY KEY (participant_id, other_id, position)"
)


class LinkedRecords(ReadModel):
    """A read model that keeps which records were linked as one person, and when (its
    `TABLES` name `links` with `LINKS`)."""

    @handles(Participant.Linked)
    def _linked(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"INSERT INTO {self.t('links')} VALUES (?, ?, ?, ?, NULL)",
            (
                text(event.originator_id),
                text(event.other_id),
                position,
                recorded_at(event.timestamp),
            ),
        )

    @handles(Participant.Unlinked)
    def _unlinked(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"UPDATE {self.t('links')} SET unlinked_at = ?"
            " WHERE participant_id = ? AND other_id = ? AND unlinked_at IS NULL",
            (recorded_at(event.timestamp), text(event.originator_id), text(event.other_id)),
        )
