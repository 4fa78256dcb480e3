"""Caseloads read model: per caseworker the open episodes, last contact, and what is overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from domain.episode import Episode
from domain.program import DEFAULT_COURSE_START_LIMIT_DAYS, Program
from projections.keys import entry_key, text
from projections.model import LATEST, Reading, ReadModel, handles, recorded_at
from store.read_store import Tx

REFERRAL_ANSWER_DAYS = 10
# (kind, status) still waiting for the next step -> what is overdue when it waits too long.
_WAITING = {
    ("course", "requested"): "course_not_started",
    ("referral", "made"): "referral_unanswered",
}

# event class -> (kind of entry, its status, the attribute naming its track or None)
_ENTRIES: dict[type, tuple[str, str, str | None]] = {
    Episode.ServiceDelivered: ("service", "delivered", None),
    Episode.MentorAssigned: ("mentor", "assigned", None),
    Episode.PlanAgreed: ("plan", "agreed", None),
    Episode.ReferralMade: ("referral", "made", "referral_id"),
    Episode.ReferralAccepted: ("referral", "accepted", "referral_id"),
    Episode.ReferralDeclined: ("referral", "declined", "referral_id"),
    Episode.ReferralCompleted: ("referral", "completed", "referral_id"),
    Episode.PlacementStarted: ("placement", "started", "placement_id"),
    Episode.PlacementEnded: ("placement", "ended", "placement_id"),
    Episode.CourseRequested: ("course", "requested", "course_id"),
    Episode.CourseEnrolled: ("course", "enrolled", "course_id"),
    Episode.CourseCompleted: ("course", "completed", "course_id"),
    Episode.CourseDropped: ("course", "dropped", "course_id"),
    Episode.JobStarted: ("job", "started", "job_id"),
    Episode.JobEnded: ("job", "ended", "job_id"),
}


@dataclass(frozen=True)
class OpenEpisode:
    episode_id: str
    program_id: str
    participant_id: str
    opened_on: date
    last_contact: date


@dataclass(frozen=True)
class Overdue:
    """Something a caseworker owes: `kind` is course_not_started, referral_unanswered or
    final_monitoring_missing; `due` is the day it fell due."""

    kind: str
    episode_id: str
    item_id: str | None
    due: date


@dataclass(frozen=True)
class Caseload:
    """A caseworker's load effective on `as_of`, as the ledger knew it at `known_at` (None: now)."""

    caseworker: str
    as_of: date
    known_at: datetime | None
    episodes: list[OpenEpisode]
    overdue: list[Overdue]


class Caseloads(ReadModel):
    """Episodes by caseworker over time, with every entry's kind, status, effective date and when
    it was recorded (and voided): a caseload is asked for a date, as known at a moment."""

    name = "caseloads"
    TABLES: ClassVar[dict[str, str]] = {
        "programs": "program_id TEXT PRIMARY KEY, course_limit_days INTEGER NOT NULL",
        "episodes": (
            "episode_id TEXT PRIMARY KEY, program_id TEXT NOT NULL, participant_id TEXT NOT NULL,"
            " opened_on TEXT NOT NULL, opened_at TEXT NOT NULL, closed_on TEXT, closed_at TEXT"
        ),
        # Who had the episode from which day: the opening's caseworker, then each reassignment.
        "assignments": (
            "episode_id TEXT NOT NULL, position INTEGER NOT NULL, caseworker TEXT NOT NULL,"
            " since TEXT NOT NULL, recorded_at TEXT NOT NULL, PRIMARY KEY (episode_id, position)"
        ),
        "entries": (
            "entry_id TEXT PRIMARY KEY, episode_id TEXT NOT NULL, kind TEXT NOT NULL,"
            " track_id TEXT, status TEXT NOT NULL, occurred_on TEXT NOT NULL,"
            " position INTEGER NOT NULL, recorded_at TEXT NOT NULL, voided_at TEXT"
        ),
    }
    INDEXES = (("assignments", "caseworker"), ("entries", "episode_id"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._new_entries: list[tuple[Any, ...]] = []

    @handles(Program.Defined)
    def _program(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"INSERT INTO {self.t('programs')} VALUES (?, ?)",
            (text(event.originator_id), event.course_start_limit_days),
        )

    @handles(Episode.Opened)
    def _opened(self, tx: Tx, event: Any, position: int) -> None:
        episode, at = text(event.originator_id), recorded_at(event.timestamp)
        tx.execute(
            f"INSERT INTO {self.t('episodes')} VALUES (?, ?, ?, ?, ?, NULL, NULL)",
            (
                episode,
                str(event.program_id),
                str(event.participant_id),
                event.occurred_on.isoformat(),
                at,
            ),
        )
        self._assign(tx, event, position)

    @handles(Episode.CaseworkerAssigned)
    def _assign(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"INSERT INTO {self.t('assignments')} VALUES (?, ?, ?, ?, ?)",
            (
                text(event.originator_id),
                position,
                event.caseworker,
                event.occurred_on.isoformat(),
                recorded_at(event.timestamp),
            ),
        )

    @handles(Episode.Closed)
    def _closed(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"UPDATE {self.t('episodes')} SET closed_on = ?, closed_at = ? WHERE episode_id = ?",
            (
                event.occurred_on.isoformat(),
                recorded_at(event.timestamp),
                text(event.originator_id),
            ),
        )

    @handles(Episode.AssessmentRecorded, *_ENTRIES)
    def _entry(self, tx: Tx, event: Any, position: int) -> None:
        if isinstance(event, Episode.AssessmentRecorded):
            kind, status, track = "assessment", event.stage, None
        else:
            kind, status, track_attribute = _ENTRIES[type(event)]
            track = str(getattr(event, track_attribute)) if track_attribute else None
        self._new_entries.append(
            (
                entry_key(event.originator_id, event.originator_version),
                text(event.originator_id),
                kind,
                track,
                status,
                event.occurred_on.isoformat(),
                position,
                recorded_at(event.timestamp),
                None,  # not voided
            )
        )

    def flush(self, tx: Tx) -> None:
        """Entries are written a batch at a time: one statement for hundreds of rows."""
        tx.insert_rows(self.t("entries"), self._new_entries)
        self._new_entries = []

    @handles(Episode.EntryVoided)
    def _voided(self, tx: Tx, event: Any, position: int) -> None:
        self.flush(tx)  # the voided entry may still be waiting in this batch
        tx.execute(
            f"UPDATE {self.t('entries')} SET voided_at = ? WHERE entry_id = ?",
            (recorded_at(event.timestamp), str(event.event_id)),
        )

    # Queries.

    def caseload(
        self, reading: Reading, caseworker: str, as_of: date, known_at: datetime | None = None
    ) -> Caseload:
        """The caseworker's episodes open on `as_of` and what is overdue then, from what was
        effective by that day and recorded by `known_at` (everything recorded, if None).

        A voided entry never happened (a voiding has no effective date of its own), unless the
        voiding was recorded after `known_at`.
        """
        day, known = as_of.isoformat(), recorded_at(known_at) if known_at else LATEST
        # Every episode the caseworker ever had by then: whose it was on the day is decided below.
        theirs = (
            f"SELECT episode_id FROM {reading.t('assignments')}"
            " WHERE caseworker = ? AND since <= ? AND recorded_at <= ?"
        )
        held = (caseworker, day, known)
        rows = reading.tx.execute(
            f"SELECT e.episode_id, e.program_id, e.participant_id, e.opened_on,"
            f" CASE WHEN e.closed_at <= ? THEN e.closed_on END,"
            f" COALESCE(p.course_limit_days, ?) FROM {reading.t('episodes')} e"
            f" LEFT JOIN {reading.t('programs')} p ON p.program_id = e.program_id"
            f" WHERE e.opened_on <= ? AND e.opened_at <= ? AND e.episode_id IN ({theirs})"
            " ORDER BY e.opened_on, e.episode_id",
            (known, DEFAULT_COURSE_START_LIMIT_DAYS, day, known, *held),
        )
        holders = reading.tx.execute(
            f"SELECT episode_id, caseworker FROM {reading.t('assignments')}"
            f" WHERE episode_id IN ({theirs}) AND since <= ? AND recorded_at <= ?"
            " ORDER BY episode_id, since, position",
            (*held, day, known),
        )
        # The latest assignment effective by the day (of two on one day, the later recorded).
        holder = dict(holders)
        rows = [row for row in rows if holder.get(row[0]) == caseworker]
        entries = reading.tx.execute(
            f"SELECT episode_id, kind, track_id, status, occurred_on FROM {reading.t('entries')}"
            f" WHERE episode_id IN ({theirs}) AND occurred_on <= ? AND recorded_at <= ?"
            " AND (voided_at IS NULL OR voided_at > ?) ORDER BY position",
            (*held, day, known, known),
        )
        shown = {row[0] for row in rows}
        entries = [entry for entry in entries if entry[0] in shown]
        open_rows = [row for row in rows if row[4] is None or row[4] > day]
        closed = [(row[0], row[4]) for row in rows if row[4] is not None and row[4] <= day]
        limits = {row[0]: int(row[5]) for row in open_rows}
        last_contact: dict[str, str] = {}
        finals: set[str] = set()
        first_step_on: dict[tuple[str, str], str] = {}
        current: dict[tuple[str, str], tuple[str, str]] = {}
        for episode, kind, track, status, occurred_on in entries:
            last_contact[episode] = max(last_contact.get(episode, ""), occurred_on)
            if (kind, status) == ("assessment", "final"):
                finals.add(episode)
            if track is not None:
                first_step_on.setdefault((episode, track), occurred_on)
                current[(episode, track)] = (kind, status)
        overdue = []
        for (episode, track), (kind, status) in current.items():
            waiting = _WAITING.get((kind, status))
            if waiting is None or episode not in limits:
                continue
            allowed = limits[episode] if kind == "course" else REFERRAL_ANSWER_DAYS
            due = date.fromisoformat(first_step_on[(episode, track)]) + timedelta(days=allowed)
            if due < as_of:
                overdue.append(Overdue(waiting, episode, track, due))
        overdue += [
            Overdue("final_monitoring_missing", episode, None, date.fromisoformat(closed_on))
            for episode, closed_on in closed
            if episode not in finals
        ]
        return Caseload(
            caseworker,
            as_of,
            known_at,
            [
                OpenEpisode(
                    episode,
                    program,
                    participant,
                    date.fromisoformat(opened_on),
                    date.fromisoformat(max(opened_on, last_contact.get(episode, opened_on))),
                )
                for episode, program, participant, opened_on, _, _ in open_rows
            ],
            sorted(overdue, key=lambda o: (o.due, o.episode_id, o.item_id or "")),
        )
