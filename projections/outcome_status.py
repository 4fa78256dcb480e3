"""A program's outcome statuses on a day, as known at a moment, from the outcome facts model.

Reads the tables `projections/outcome_facts.py` writes and evaluates each definition with
`domain.outcome_rules.evaluate`, person by person: the same rules the assessor's verifier
applies to a claim's package. As known at a moment: only the memberships and facts recorded by
then count, and a fact voided later still does. The definitions are the program's (the caller
loads it as known at the same moment): the current version of each, or one asked for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.outcome_rules import Definition, Fact, Status, definition_of, evaluate
from projections.model import LATEST, Reading, recorded_at
from projections.outcome_people import in_chunks, people_known_at

STATES = ("pending", "achieved", "failed")


@dataclass(frozen=True)
class OutcomeStatus:
    """One definition's status for each person of its cohort (by id), and what it pays."""

    key: str
    version: int
    definition: Definition
    people: dict[str, Status]

    def count(self, state: str) -> int:
        return sum(1 for status in self.people.values() if status.state == state)

    @property
    def paid(self) -> int:
        """Outcomes paid for: those achieved, at most the cap."""
        achieved, cap = self.count("achieved"), self.definition.cap
        return achieved if cap is None else min(achieved, cap)

    @property
    def amount(self) -> int:
        return self.paid * self.definition.price


def chosen(
    definitions: Mapping[str, Sequence[Mapping[str, Any]]],
    key: str | None = None,
    version: int | None = None,
) -> list[tuple[str, int, Mapping[str, Any]]]:
    """(key, version, definition): the current version of every key, or of `key` the one
    asked for; LookupError for a key or version the program has not defined."""
    if key is not None and key not in definitions:
        raise LookupError(f"no outcome {key!r} defined")
    picked = []
    for name in sorted(definitions) if key is None else [key]:
        versions = definitions[name]
        number = len(versions) if version is None else version
        if not 1 <= number <= len(versions):
            raise LookupError(f"outcome {name!r} has versions 1 to {len(versions)}")
        picked.append((name, number, versions[number - 1]))
    return picked


def statuses(
    reading: Reading,
    program_id: UUID,
    definitions: Sequence[tuple[str, int, Mapping[str, Any]]],
    as_of: date,
    known_at: datetime | None = None,
) -> list[OutcomeStatus]:
    """Each definition's statuses on `as_of` of the program's people, as known at `known_at`.

    Records linked as one person are one, under the smallest id of their records. A person is in
    the program if any record of theirs is, and in a cohort if any record of theirs is: the
    facts of all their records count (a readmission recorded on a duplicate record breaks an
    outcome all the same)."""
    program, known = str(program_id), recorded_at(known_at) if known_at else LATEST
    people = people_known_at(reading, known)
    # The program's people first, then their rows by id: a subquery of the members let
    # PostgreSQL, before it had statistics of the tables (after a rebuild), compare every fact
    # with every member (seconds for 10,000 people; ops/bench/DECISIONS.md).
    members = {
        people(str(record))
        for (record,) in reading.tx.execute(
            f"SELECT participant_id FROM {reading.t('members')}"
            " WHERE program_id = ? AND recorded_at <= ?",
            (program, known),
        )
    }
    records = people.records(members)
    attributes: dict[str, list[tuple[str, list[str]]]] = {}
    for record, residence, groups in in_chunks(
        reading,
        "SELECT participant_id, prior_residence, target_groups"
        f" FROM {reading.t('people')} WHERE participant_id IN ({{ids}})",
        records,
    ):
        attributes.setdefault(people(str(record)), []).append(
            (str(residence), json.loads(str(groups)))
        )
    facts: dict[str, list[Fact]] = {}
    for record, kind, on, entry, detail in in_chunks(
        reading,
        f"SELECT participant_id, kind, occurred_on, entry_id, detail FROM {reading.t('facts')}"
        " WHERE participant_id IN ({ids}) AND (program_id = ? OR program_id IS NULL)"
        " AND occurred_on <= ? AND recorded_at <= ? AND (voided_at IS NULL OR voided_at > ?)",
        records,
        (program, as_of.isoformat(), known, known),
    ):
        fact = Fact(str(kind), date.fromisoformat(str(on)), str(entry), json.loads(str(detail)))
        facts.setdefault(people(str(record)), []).append(fact)
    found = []
    for key, version, data in definitions:
        definition = definition_of(key, data)
        found.append(
            OutcomeStatus(
                key,
                version,
                definition,
                {
                    person: evaluate(definition, facts.get(person, ()), as_of)
                    for person in sorted(members)
                    if any(definition.cohort.holds(*each) for each in attributes.get(person, ()))
                },
            )
        )
    return found


def evidence_position(reading: Reading, entry_ids: Sequence[str]) -> int:
    """The log position of the latest of these facts' events (0 for none)."""
    rows = in_chunks(
        reading,
        f"SELECT position FROM {reading.t('facts')} WHERE entry_id IN ({{ids}})",
        sorted(set(entry_ids)),
    )
    return max((int(str(position)) for (position,) in rows), default=0)


def recorded_since(
    reading: Reading, program_id: UUID, people: Sequence[str], moment: datetime, as_of: date
) -> dict[str, list[tuple[str, str]]]:
    """Per person (as linked now), (entry id, kind) of facts of any of their records up to
    `as_of` recorded or voided after `moment`: what the ledger learnt since a claim was frozen,
    in log order."""
    since, program = recorded_at(moment), str(program_id)
    linked_now = people_known_at(reading, LATEST)
    found: dict[str, list[tuple[int, str, str]]] = {}
    for record, entry, kind, position in in_chunks(
        reading,
        f"SELECT participant_id, entry_id, kind, position FROM {reading.t('facts')}"
        " WHERE participant_id IN ({ids}) AND (program_id = ? OR program_id IS NULL)"
        " AND occurred_on <= ? AND (recorded_at > ? OR voided_at > ?)",
        linked_now.records(linked_now(person) for person in people),
        (program, as_of.isoformat(), since, since),
    ):
        person = linked_now(str(record))
        found.setdefault(person, []).append((int(str(position)), str(entry), str(kind)))
    return {person: [(e, k) for _, e, k in sorted(rows)] for person, rows in found.items()}
