"""Services read model: counts, quantities and people per program, kind, settlement and month."""

from __future__ import annotations

from calendar import monthrange
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from domain.episode import Episode
from domain.participant import Participant
from projections.keys import entry_key, text
from projections.model import Reading, ReadModel, handles
from store.read_store import Tx

DIMENSIONS = ("kind", "settlement", "month", "staff")
Key = tuple[str, str, str, str]  # program, kind, settlement, month


@dataclass(frozen=True)
class ServiceRow:
    """One cell of the report: the dimensions asked for, and what was delivered there."""

    dimensions: dict[str, str]
    services: int
    quantity: int
    # Distinct people served in the cell over the whole period asked (not a sum of months'),
    # records linked as one person counted once.
    people: int


def _whole_months(start: date | None, end: date | None) -> bool:
    """Whether [start, end] covers whole months, so the monthly totals answer it."""
    # The month's length, not end + 1 day: that overflows on 9999-12-31.
    return (start is None or start.day == 1) and (
        end is None or end.day == monthrange(end.year, end.month)[1]
    )


class Services(ReadModel):
    """How many services of each kind were delivered where and when, per program (not voided)."""

    name = "services"
    TABLES: ClassVar[dict[str, str]] = {
        "episodes": (
            "episode_id TEXT PRIMARY KEY, program_id TEXT NOT NULL, participant_id TEXT NOT NULL"
        ),
        "entries": (
            "entry_id TEXT PRIMARY KEY, program_id TEXT NOT NULL, kind TEXT NOT NULL,"
            " settlement TEXT NOT NULL, occurred_on TEXT NOT NULL, month TEXT NOT NULL,"
            " quantity INTEGER NOT NULL, staff TEXT NOT NULL, voided INTEGER NOT NULL DEFAULT 0,"
            " participant_id TEXT NOT NULL"
        ),
        # Who was served in each cell of a month, and how often (not voided): the people of whole
        # months are read here, a row per person and cell, not from every entry (the rural
        # year: 32,000 rows instead of 849,000).
        "people": (
            "program_id TEXT NOT NULL, kind TEXT NOT NULL, settlement TEXT NOT NULL,"
            " month TEXT NOT NULL, participant_id TEXT NOT NULL, services INTEGER NOT NULL,"
            " PRIMARY KEY (program_id, kind, settlement, month, participant_id)"
        ),
        # Records linked as one person, each link both ways (each record states its own).
        "links": "participant_id TEXT NOT NULL, other_id TEXT NOT NULL,"
        " PRIMARY KEY (participant_id, other_id)",
        "totals": (
            "program_id TEXT NOT NULL, kind TEXT NOT NULL, settlement TEXT NOT NULL,"
            " month TEXT NOT NULL, services INTEGER NOT NULL, quantity INTEGER NOT NULL,"
            " PRIMARY KEY (program_id, kind, settlement, month)"
        ),
    }
    INDEXES = (("entries", "program_id, occurred_on"),)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._programs: dict[str, tuple[str, str]] = {}
        self._new_entries: list[tuple[Any, ...]] = []
        self._voided: list[str] = []
        self._counts: Counter[Key] = Counter()
        self._quantities: Counter[Key] = Counter()
        self._served: Counter[tuple[str, str, str, str, str]] = Counter()

    @handles(Episode.Opened)
    def _opened(self, tx: Tx, event: Any, position: int) -> None:
        episode, program = text(event.originator_id), str(event.program_id)
        participant = str(event.participant_id)
        tx.execute(
            f"INSERT INTO {self.t('episodes')} VALUES (?, ?, ?)", (episode, program, participant)
        )
        self._programs[episode] = (program, participant)

    @handles(Participant.Linked)
    def _linked(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"INSERT INTO {self.t('links')} VALUES (?, ?) ON CONFLICT DO NOTHING",
            (text(event.originator_id), str(event.other_id)),
        )

    @handles(Participant.Unlinked)
    def _unlinked(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"DELETE FROM {self.t('links')} WHERE participant_id = ? AND other_id = ?",
            (text(event.originator_id), str(event.other_id)),
        )

    @handles(Episode.ServiceDelivered)
    def _delivered(self, tx: Tx, event: Any, position: int) -> None:
        program, participant = self._program_of(tx, text(event.originator_id))
        day = event.occurred_on.isoformat()
        key = (program, event.kind, event.settlement, day[:7])
        self._new_entries.append(
            (
                entry_key(event.originator_id, event.originator_version),
                program,
                event.kind,
                event.settlement,
                day,
                day[:7],
                event.quantity,
                event.recorded_by,
                0,  # not voided
                participant,
            )
        )
        self._counts[key] += 1
        self._quantities[key] += event.quantity
        self._served[(*key, participant)] += 1

    @handles(Episode.EntryVoided)
    def _voided_entry(self, tx: Tx, event: Any, position: int) -> None:
        voided = str(event.event_id)
        found = [e for e in self._new_entries if e[0] == voided] or tx.execute(
            f"SELECT entry_id, program_id, kind, settlement, occurred_on, month, quantity,"
            f" staff, voided, participant_id FROM {self.t('entries')} WHERE entry_id = ?",
            (voided,),
        )
        if not found:
            return  # not a service: another kind of entry was voided
        _, program, kind, settlement, _, month, quantity, _, _, participant = found[0]
        key = (program, kind, settlement, month)
        self._counts[key] -= 1
        self._quantities[key] -= quantity
        self._served[(*key, participant)] -= 1
        self._voided.append(voided)

    def flush(self, tx: Tx) -> None:
        tx.insert_rows(self.t("entries"), self._new_entries)
        totals = self.t("totals")
        tx.executemany(
            f"INSERT INTO {totals} VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (program_id, kind, settlement, month) DO UPDATE SET"
            f" services = {totals}.services + excluded.services,"
            f" quantity = {totals}.quantity + excluded.quantity",
            [(*key, count, self._quantities[key]) for key, count in self._counts.items()],
        )
        people = self.t("people")
        tx.executemany(
            f"INSERT INTO {people} VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (program_id, kind, settlement, month, participant_id) DO UPDATE SET"
            f" services = {people}.services + excluded.services",
            [(*key, count) for key, count in self._served.items()],
        )
        tx.executemany(
            f"UPDATE {self.t('entries')} SET voided = 1 WHERE entry_id = ?",
            [(voided,) for voided in self._voided],
        )
        self._new_entries, self._voided = [], []
        self._counts, self._quantities, self._served = Counter(), Counter(), Counter()

    def _program_of(self, tx: Tx, episode: str) -> tuple[str, str]:
        """The episode's program and participant."""
        if episode not in self._programs:
            rows = tx.execute(
                f"SELECT program_id, participant_id FROM {self.t('episodes')} WHERE episode_id = ?",
                (episode,),
            )
            self._programs[episode] = (rows[0][0], rows[0][1])
        return self._programs[episode]

    def follow_switch(self, live: int | None = None) -> None:
        generation = self.generation
        super().follow_switch(live)
        if generation != self.generation:
            self._programs.clear()

    # Queries.

    def report(
        self,
        reading: Reading,
        program_id: UUID,
        start: date | None = None,
        end: date | None = None,
        by: tuple[str, ...] = ("kind", "settlement", "month"),
    ) -> list[ServiceRow]:
        """Services and quantities by the asked dimensions, effective dates in [start, end]."""
        unknown = set(by) - set(DIMENSIONS)
        if unknown:
            raise ValueError(f"unknown dimensions {sorted(unknown)}; use {DIMENSIONS}")
        columns = ", ".join(by)
        group = f" GROUP BY {columns} ORDER BY {columns}" if by else ""
        select = f"SELECT {columns + ', ' if by else ''}"
        params: list[Any] = [str(program_id)]
        if "staff" in by or not _whole_months(start, end):
            where = "program_id = ? AND voided = 0"
            if start:
                where += " AND occurred_on >= ?"
                params.append(start.isoformat())
            if end:
                where += " AND occurred_on <= ?"
                params.append(end.isoformat())
            sql = f"{select}COUNT(*), SUM(quantity) FROM {reading.t('entries')} WHERE {where}"
        else:
            where = "program_id = ?"
            if start:
                where += " AND month >= ?"
                params.append(start.isoformat()[:7])
            if end:
                where += " AND month <= ?"
                params.append(end.isoformat()[:7])
            sql = f"{select}SUM(services), SUM(quantity) FROM {reading.t('totals')} WHERE {where}"
        rows = reading.tx.execute(sql + group, params)
        people = self._people(reading, program_id, start, end, by)
        return [
            ServiceRow(
                dict(zip(by, row[: len(by)], strict=True)),
                int(row[-2] or 0),
                int(row[-1] or 0),
                len(people.get(tuple(row[: len(by)]), ())),
            )
            for row in rows
            if row[-2]
        ]

    def _people(
        self,
        reading: Reading,
        program_id: UUID,
        start: date | None,
        end: date | None,
        by: tuple[str, ...],
    ) -> dict[tuple[str, ...], set[str]]:
        """Who was served in each cell over the period: the distinct people, one per group of
        linked records (the group's least id names it)."""
        params: list[Any] = [str(program_id)]
        if "staff" in by or not _whole_months(start, end):
            table, where, column = "entries", "program_id = ? AND voided = 0", "occurred_on"
            bounds = [day.isoformat() if day else None for day in (start, end)]
        else:  # whole months: the people of each month, far fewer rows than the entries
            table, where, column = "people", "program_id = ? AND services > 0", "month"
            bounds = [day.isoformat()[:7] if day else None for day in (start, end)]
        for bound, compare in zip(bounds, (">=", "<="), strict=True):
            if bound:
                where += f" AND {column} {compare} ?"
                params.append(bound)
        columns = ", ".join((*by, "participant_id"))
        rows = reading.tx.execute(
            f"SELECT {columns} FROM {reading.t(table)} WHERE {where} GROUP BY {columns}",
            params,
        )
        person = _people_by_record(reading.tx.execute(f"SELECT * FROM {reading.t('links')}"))
        cells: dict[tuple[str, ...], set[str]] = {}
        for row in rows:
            cells.setdefault(tuple(row[:-1]), set()).add(person.get(row[-1], row[-1]))
        return cells


def _people_by_record(links: list[tuple[str, str]]) -> dict[str, str]:
    """Each linked record -> its person: the least id of its group (links join transitively)."""
    parent: dict[str, str] = {}

    def root(record: str) -> str:
        while parent.setdefault(record, record) != record:
            parent[record] = parent[parent[record]]  # halve the path as we go
            record = parent[record]
        return record

    for record, other in links:
        first, second = sorted((root(record), root(other)))
        parent[second] = first
    return {record: root(record) for record in parent}
