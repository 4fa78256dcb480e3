"""Directory read model: the programs, facilities, episodes and claims a frontend looks up and
lists."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from domain.claim import Claim
from domain.episode import Episode
from domain.facility import Facility
from domain.program import Program
from projections.keys import text
from projections.model import Reading, ReadModel, handles
from store.read_store import Tx


@dataclass(frozen=True)
class ProgramEntry:
    program_id: str
    code: str
    name: str
    financing: str
    period_start: date
    period_end: date
    course_start_limit_days: int


@dataclass(frozen=True)
class FacilityEntry:
    """A facility and the programs it serves (none: shared by every program)."""

    facility_id: str
    name: str
    kind: str
    settlement: str
    programs: list[str]


@dataclass(frozen=True)
class EpisodeEntry:
    episode_id: str
    program_id: str
    participant_id: str
    caseworker: str
    opened_on: date
    closed_on: date | None


@dataclass(frozen=True)
class EpisodeFilter:
    """Which episodes to list; `programs` None: of any program, else only of these."""

    programs: Collection[UUID] | None = None
    caseworker: str | None = None
    participant: UUID | None = None
    status: str | None = None  # "open" or "closed"


@dataclass(frozen=True)
class ClaimEntry:
    claim_id: str
    program_id: str
    period_start: date
    period_end: date
    total: int
    submitted_by: str
    decision: str | None
    paid: int | None


class Directory(ReadModel):
    """Programs, facilities, episodes and claims by what frontends look them up by."""

    name = "directory"
    TABLES: ClassVar[dict[str, str]] = {
        "programs": (
            "program_id TEXT PRIMARY KEY, code TEXT NOT NULL, code_key TEXT NOT NULL,"
            " name TEXT NOT NULL, financing TEXT NOT NULL, period_start TEXT NOT NULL,"
            " period_end TEXT NOT NULL, course_limit_days INTEGER NOT NULL"
        ),
        "facilities": (
            "facility_id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,"
            " settlement TEXT NOT NULL"
        ),
        "facility_programs": (
            "facility_id TEXT NOT NULL, program_id TEXT NOT NULL,"
            " PRIMARY KEY (facility_id, program_id)"
        ),
        "episodes": (
            "episode_id TEXT PRIMARY KEY, program_id TEXT NOT NULL, participant_id TEXT NOT NULL,"
            " caseworker TEXT NOT NULL, opened_on TEXT NOT NULL, closed_on TEXT,"
            " position INTEGER NOT NULL"
        ),
        # Claims, with the assessor's decision once made.
        "claims": (
            "claim_id TEXT PRIMARY KEY, program_id TEXT NOT NULL, period_start TEXT NOT NULL,"
            " period_end TEXT NOT NULL, total INTEGER NOT NULL, submitted_by TEXT NOT NULL,"
            " decision TEXT, paid INTEGER, position INTEGER NOT NULL"
        ),
    }
    INDEXES = (
        ("programs", "code_key"),
        ("facility_programs", "program_id"),
        ("episodes", "program_id, position"),
        ("episodes", "participant_id"),
        ("episodes", "caseworker"),
        ("claims", "program_id, position"),
    )

    @handles(Program.Defined)
    def _program(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"INSERT INTO {self.t('programs')} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                text(event.originator_id),
                event.code,
                event.code.lower(),  # as program_id_for folds it
                event.name,
                event.financing,
                event.period_start.isoformat(),
                event.period_end.isoformat(),
                event.course_start_limit_days,
            ),
        )

    @handles(Facility.Registered)
    def _facility(self, tx: Tx, event: Any, position: int) -> None:
        facility = text(event.originator_id)
        tx.execute(
            f"INSERT INTO {self.t('facilities')} VALUES (?, ?, ?, ?)",
            (facility, event.name, event.kind, event.settlement),
        )
        tx.insert_rows(
            self.t("facility_programs"), [(facility, str(program)) for program in event.programs]
        )

    @handles(Episode.Opened)
    def _opened(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"INSERT INTO {self.t('episodes')} VALUES (?, ?, ?, ?, ?, NULL, ?)",
            (
                text(event.originator_id),
                str(event.program_id),
                str(event.participant_id),
                event.caseworker,
                event.occurred_on.isoformat(),
                position,
            ),
        )

    @handles(Episode.CaseworkerAssigned)
    def _reassigned(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"UPDATE {self.t('episodes')} SET caseworker = ? WHERE episode_id = ?",
            (event.caseworker, text(event.originator_id)),
        )

    @handles(Episode.Closed)
    def _closed(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"UPDATE {self.t('episodes')} SET closed_on = ? WHERE episode_id = ?",
            (event.occurred_on.isoformat(), text(event.originator_id)),
        )

    @handles(Claim.Submitted)
    def _claimed(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"INSERT INTO {self.t('claims')} VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?)",
            (
                text(event.originator_id),
                str(event.program_id),
                event.period_start.isoformat(),
                event.period_end.isoformat(),
                event.total,
                event.recorded_by,
                position,
            ),
        )

    @handles(Claim.Decided)
    def _decided(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"UPDATE {self.t('claims')} SET decision = ?, paid = ? WHERE claim_id = ?",
            (event.verdict, event.amount, text(event.originator_id)),
        )

    # Queries.

    def programs(
        self, reading: Reading, code: str | None = None, only: Collection[UUID] | None = None
    ) -> list[ProgramEntry]:
        """Programs by code (case-insensitive), only those of `only` if given."""
        where, args = _within("program_id", only)
        if code is not None:
            where.append("code_key = ?")
            args.append(code.strip().lower())
        rows = reading.tx.execute(
            "SELECT program_id, code, name, financing, period_start, period_end,"
            f" course_limit_days FROM {reading.t('programs')}{_where(where)} ORDER BY code_key",
            tuple(args),
        )
        return [
            ProgramEntry(
                pid, code, name, financing, date.fromisoformat(start), date.fromisoformat(end), n
            )
            for pid, code, name, financing, start, end, n in rows
        ]

    def facilities(
        self,
        reading: Reading,
        *,
        program: UUID | None = None,
        settlement: str | None = None,
        kind: str | None = None,
        facility_id: UUID | None = None,
    ) -> list[FacilityEntry]:
        """Facilities by settlement and kind; with `program`, those serving it or every program."""
        served = reading.t("facility_programs")
        where: list[str] = []
        args: list[Any] = []
        for column, value in (("settlement", settlement), ("kind", kind)):
            if value is not None:
                where.append(f"f.{column} = ?")
                args.append(value)
        if facility_id is not None:
            where.append("f.facility_id = ?")
            args.append(str(facility_id))
        if program is not None:
            where.append(
                f"(NOT EXISTS (SELECT 1 FROM {served} s WHERE s.facility_id = f.facility_id)"
                f" OR EXISTS (SELECT 1 FROM {served} s WHERE s.facility_id = f.facility_id"
                " AND s.program_id = ?))"
            )
            args.append(str(program))
        rows = reading.tx.execute(
            f"SELECT f.facility_id, f.name, f.kind, f.settlement FROM {reading.t('facilities')} f"
            f"{_where(where)} ORDER BY f.name, f.facility_id",
            tuple(args),
        )
        programs: dict[str, list[str]] = {row[0]: [] for row in rows}
        if programs:
            marks = ", ".join("?" for _ in programs)
            for facility, served_program in reading.tx.execute(
                f"SELECT facility_id, program_id FROM {served} WHERE facility_id IN ({marks})"
                " ORDER BY program_id",
                tuple(programs),
            ):
                programs[facility].append(served_program)
        return [
            FacilityEntry(fid, name, kind, settlement, programs[fid])
            for fid, name, kind, settlement in rows
        ]

    def episodes(
        self, reading: Reading, which: EpisodeFilter, offset: int = 0, limit: int = 100
    ) -> list[EpisodeEntry]:
        """Episodes matching `which` in the order opened (recorded), `limit` from `offset`."""
        where, args = _within("program_id", which.programs)
        if which.caseworker is not None:
            where.append("caseworker = ?")
            args.append(which.caseworker)
        if which.participant is not None:
            where.append("participant_id = ?")
            args.append(str(which.participant))
        if which.status == "open":
            where.append("closed_on IS NULL")
        elif which.status == "closed":
            where.append("closed_on IS NOT NULL")
        rows = reading.tx.execute(
            "SELECT episode_id, program_id, participant_id, caseworker, opened_on, closed_on"
            f" FROM {reading.t('episodes')}{_where(where)} ORDER BY position LIMIT ? OFFSET ?",
            (*args, limit, offset),
        )
        return [
            EpisodeEntry(
                eid,
                program,
                participant,
                caseworker,
                date.fromisoformat(opened),
                None if closed is None else date.fromisoformat(closed),
            )
            for eid, program, participant, caseworker, opened, closed in rows
        ]

    def claims(
        self,
        reading: Reading,
        programs: Collection[UUID] | None,
        offset: int = 0,
        limit: int = 100,
    ) -> list[ClaimEntry]:
        """Claims of these programs (None: every program) in the order submitted."""
        where, args = _within("program_id", programs)
        rows = reading.tx.execute(
            "SELECT claim_id, program_id, period_start, period_end, total, submitted_by,"
            f" decision, paid FROM {reading.t('claims')}{_where(where)}"
            " ORDER BY position LIMIT ? OFFSET ?",
            (*args, limit, offset),
        )
        return [
            ClaimEntry(
                str(cid),
                str(program),
                date.fromisoformat(str(start)),
                date.fromisoformat(str(end)),
                int(str(total)),
                str(by),
                None if decision is None else str(decision),
                None if paid is None else int(str(paid)),
            )
            for cid, program, start, end, total, by, decision, paid in rows
        ]


def _within(column: str, ids: Collection[UUID] | None) -> tuple[list[str], list[Any]]:
    """The condition that `column` is one of `ids` (None: no condition; empty: none is)."""
    if ids is None:
        return [], []
    if not ids:
        return ["1 = 0"], []
    return [f"{column} IN ({', '.join('?' for _ in ids)})"], [str(i) for i in ids]


def _where(conditions: list[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""
