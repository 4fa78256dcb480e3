"""Outcome facts read model: each person's facts that outcome definitions are measured on.

A fact is what `domain.outcome_rules.fact_of` makes of an event, so the assessor's verifier,
reading the same events from a claim's package, finds the same facts. Each keeps the id of the
event that proves it, its effective date, and when it was recorded or voided, so statuses
(`projections/outcome_status.py`) can be evaluated as known at any moment. A fact of an episode
belongs to its program; one of the person (an institutional admission, an application
withdrawn) to none, and counts in every program the person is in. Beside the facts: each
person's prior residence and target groups (whom a cohort takes), who joined which program
when, and which records were linked as one person when (their facts are one person's).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from domain.episode import Episode
from domain.outcome_rules import KIND_OF_EVENT, fact_of
from domain.participant import Participant
from projections.keys import entry_key, text
from projections.linked_records import LINKS, LinkedRecords
from projections.model import handles, recorded_at
from store.read_store import Tx

# The events that record a fact, found by the names outcome_rules gives them.
EPISODE_FACTS = tuple(getattr(Episode, name) for name in KIND_OF_EVENT if hasattr(Episode, name))
PERSON_FACTS = tuple(
    getattr(Participant, name) for name in KIND_OF_EVENT if hasattr(Participant, name)
)


class OutcomeFacts(LinkedRecords):
    """Facts outcomes are measured on, one row per proving event; people and memberships."""

    name = "outcome_facts"
    TABLES: ClassVar[dict[str, str]] = {
        "people": (
            "participant_id TEXT PRIMARY KEY, prior_residence TEXT NOT NULL,"
            " target_groups TEXT NOT NULL"
        ),
        # One row per episode: a person is in a program from the moment an episode of it was
        # recorded, and stays in it once the episode closes (outcomes are measured after).
        "members": (
            "episode_id TEXT PRIMARY KEY, program_id TEXT NOT NULL,"
            " participant_id TEXT NOT NULL, recorded_at TEXT NOT NULL"
        ),
        "links": LINKS,
        "facts": (
            "entry_id TEXT PRIMARY KEY, participant_id TEXT NOT NULL, program_id TEXT,"
            " kind TEXT NOT NULL, occurred_on TEXT NOT NULL, detail TEXT NOT NULL,"
            " position INTEGER NOT NULL, recorded_at TEXT NOT NULL, voided_at TEXT"
        ),
    }
    INDEXES = (("members", "program_id"), ("facts", "participant_id"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._episodes: dict[str, tuple[str, str]] = {}  # episode -> (program, participant)
        # Facts and voidings of the batch, written together at its end (see flush).
        self._new_facts: list[tuple[Any, ...]] = []
        self._voids: list[tuple[str, str]] = []

    @handles(Participant.Registered)
    def _person(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"INSERT INTO {self.t('people')} VALUES (?, ?, ?)",
            (
                text(event.originator_id),
                event.prior_residence,
                json.dumps(sorted(event.target_groups)),
            ),
        )

    @handles(Episode.Opened)
    def _opened(self, tx: Tx, event: Any, position: int) -> None:
        episode, program, participant = map(
            text, (event.originator_id, event.program_id, event.participant_id)
        )
        tx.execute(
            f"INSERT INTO {self.t('members')} VALUES (?, ?, ?, ?)",
            (episode, program, participant, recorded_at(event.timestamp)),
        )
        self._episodes[episode] = (program, participant)

    @handles(*EPISODE_FACTS)
    def _episode_fact(self, tx: Tx, event: Any, position: int) -> None:
        program, participant = self._episode(tx, text(event.originator_id))
        self._fact(event, position, participant, program)

    @handles(*PERSON_FACTS)
    def _person_fact(self, tx: Tx, event: Any, position: int) -> None:
        self._fact(event, position, text(event.originator_id), None)

    @handles(Episode.EntryVoided, Participant.EntryVoided)
    def _voided(self, tx: Tx, event: Any, position: int) -> None:
        self._voids.append((recorded_at(event.timestamp), str(event.event_id)))

    def flush(self, tx: Tx) -> None:
        tx.insert_rows(self.t("facts"), self._new_facts)
        tx.executemany(
            f"UPDATE {self.t('facts')} SET voided_at = ? WHERE entry_id = ?", self._voids
        )
        self._new_facts, self._voids = [], []

    def _fact(self, event: Any, position: int, participant: str, program: str | None) -> None:
        entry = entry_key(event.originator_id, event.originator_version)
        fact = fact_of(type(event).__name__, vars(event), entry, event.occurred_on)
        if fact is None:  # cannot happen: only the events of facts are handled
            return
        self._new_facts.append(
            (
                entry,
                participant,
                program,
                fact.kind,
                fact.on.isoformat(),
                json.dumps(dict(fact.detail), sort_keys=True),
                position,
                recorded_at(event.timestamp),
                None,
            )
        )

    def _episode(self, tx: Tx, episode: str) -> tuple[str, str]:
        if episode not in self._episodes:
            [(program, participant)] = tx.execute(
                f"SELECT program_id, participant_id FROM {self.t('members')} WHERE episode_id = ?",
                (episode,),
            )
            self._episodes[episode] = (str(program), str(participant))
        return self._episodes[episode]

    def follow_switch(self, live: int | None = None) -> None:
        generation = self.generation
        super().follow_switch(live)
        if generation != self.generation:
            self._episodes.clear()
