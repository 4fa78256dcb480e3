"""Who the outcomes report counts: records linked as one person, and who falls in a cohort.

Reads the `links`, `participants` and `cohorts` tables of `projections/outcomes.py`, as known at
a moment: a link recorded later does not join two records yet, one undone by then no longer does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from projections.model import Reading

STAFF = "staff:"  # a mentor on staff is counted under "staff:<subject>"
CHUNK = 500  # ids in one `IN (...)`: well under SQLite's limit on parameters


class People:
    """Records linked as one person count once, under the smallest id of the group."""

    def __init__(self, links: Iterable[tuple[str, str]]) -> None:
        parent: dict[str, str] = {}

        def root(record: str) -> str:
            while parent.get(record, record) != record:
                record = parent[record]
            return record

        for one, other in links:
            a, b = root(one), root(other)
            if a != b:
                parent[max(a, b)] = min(a, b)  # the root of a group is its smallest id
        self._canonical = {record: root(record) for record in parent}
        self._members: dict[str, list[str]] = {}
        for record, canonical in sorted(self._canonical.items()):
            self._members.setdefault(canonical, [canonical])
            if record != canonical:
                self._members[canonical].append(record)

    def __call__(self, record: str) -> str:
        """The id the person of this record is counted under (a staff key stays as it is)."""
        return self._canonical.get(record, record)

    def members(self, person: str) -> list[str]:
        """Every record of the person counted under `person`."""
        return self._members.get(person, [person])

    def records(self, people: Iterable[str]) -> list[str]:
        """Every record of these people, staff left out."""
        return sorted({r for p in people if not p.startswith(STAFF) for r in self.members(p)})


def people_known_at(reading: Reading, known: str) -> People:
    rows = reading.tx.execute(
        f"SELECT participant_id, other_id FROM {reading.t('links')}"
        " WHERE linked_at <= ? AND (unlinked_at IS NULL OR unlinked_at > ?)",
        (known, known),
    )
    return People((str(a), str(b)) for a, b in rows)


def in_chunks(
    reading: Reading, query: str, ids: list[str], args: tuple[object, ...] = ()
) -> list[tuple[object, ...]]:
    """Rows of `query` (its `{ids}` a list of placeholders) for every id, CHUNK at a time."""
    rows: list[tuple[object, ...]] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows.extend(reading.tx.execute(query.format(ids=marks), (*chunk, *args)))
    return rows


@dataclass(frozen=True)
class Cohort:
    """Whom an indicator is counted on: these prior residences and target groups (empty: any)."""

    prior_residence: list[str]
    target_groups: list[str]

    def takes(self, residence: str, groups: set[str]) -> bool:
        return (not self.prior_residence or residence in self.prior_residence) and (
            not self.target_groups or bool(groups.intersection(self.target_groups))
        )


def cohorts_known_at(reading: Reading, program: str, known: str) -> dict[str, Cohort]:
    """indicator -> its cohort, as last defined by the moment."""
    rows = reading.tx.execute(
        f"SELECT indicator, prior_residence, target_groups FROM {reading.t('cohorts')}"
        " WHERE program_id = ? AND recorded_at <= ? ORDER BY position",
        (program, known),
    )
    return {str(i): Cohort(json.loads(str(r)), json.loads(str(g))) for i, r, g in rows}


def cohort_test(
    reading: Reading, people: People, persons: Iterable[str]
) -> Callable[[Cohort, str], bool]:
    """Whether a person (any record of theirs) falls in a cohort, for these persons."""
    attributes: dict[str, list[tuple[str, set[str]]]] = {}
    query = (
        "SELECT participant_id, prior_residence, target_groups"
        f" FROM {reading.t('participants')} WHERE participant_id IN ({{ids}})"
    )
    for record, residence, groups in in_chunks(reading, query, people.records(persons)):
        attributes.setdefault(people(str(record)), []).append(
            (str(residence), set(str(groups).strip(",").split(",")))
        )

    def takes(cohort: Cohort, person: str) -> bool:
        known = attributes.get(person, [("", set())])  # staff: only a cohort of anyone
        return any(cohort.takes(residence, groups) for residence, groups in known)

    return takes
