"""Caseloads read model: per caseworker the open episodes, last contact, and what is overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar

from domain.episode import Episode
from domain.program import DEFAULT_COURSE_START_LIMIT_DAYS, Program
from projections.keys import entry_key, text
from projections.model import Reading, ReadModel, handles
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
    caseworker: str
    as_of: date
    episodes: list[OpenEpisode]
    overdue: list[Overdue]


class Caseloads(ReadModel):
    """Episodes by caseworker, with every non-voided entry's kind, status and date."""

    name = "caseloads"
    TABLES: ClassVar[dict[str, str]] = {
        "programs": "program_id TEXT PRIMARY KEY, course_limit_days INTEGER NOT NULL",
        "episodes": (
            "episode_id TEXT PRIMARY KEY, program_id TEXT NOT NULL, participant_id TEXT NOT NULL,"
            " caseworker TEXT NOT NULL, opened_on TEXT NOT NULL, closed_on TEXT"
        ),
        "entries": (
            "entry_id TEXT PRIMARY KEY, episode_id TEXT NOT NULL, kind TEXT NOT NULL,"
            " track_id TEXT, status TEXT NOT NULL, occurred_on TEXT NOT NULL,"
            " position INTEGER NOT NULL, voided INTEGER NOT NULL DEFAULT 0"
        ),
    }
    INDEXES = (("episodes", "caseworker"), ("entries", "episode_id"))

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
        tx.execute(
            f"INSERT INTO {self.t('episodes')} VALUES (?, ?, ?, ?, ?, NULL)",
            (
                text(event.originator_id),
                str(event.program_id),
                str(event.participant_id),
                event.caseworker,
                event.occurred_on.isoformat(),
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
                0,  # not voided
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
            f"UPDATE {self.t('entries')} SET voided = 1 WHERE entry_id = ?", (str(event.event_id),)
        )

    # Queries.

    def caseload(self, reading: Reading, caseworker: str, as_of: date) -> Caseload:
        """The caseworker's open episodes and what is overdue on `as_of`."""
        episodes, entries = reading.t("episodes"), reading.t("entries")
        open_rows = reading.tx.execute(
            f"SELECT e.episode_id, e.program_id, e.participant_id, e.opened_on,"
            f" COALESCE(p.course_limit_days, ?) FROM {episodes} e"
            f" LEFT JOIN {reading.t('programs')} p ON p.program_id = e.program_id"
            " WHERE e.caseworker = ? AND e.closed_on IS NULL ORDER BY e.opened_on, e.episode_id",
            (DEFAULT_COURSE_START_LIMIT_DAYS, caseworker),
        )
        entry_rows = reading.tx.execute(
            f"SELECT n.episode_id, n.kind, n.track_id, n.status, n.occurred_on FROM {entries} n"
            f" JOIN {episodes} e ON e.episode_id = n.episode_id"
            " WHERE e.caseworker = ? AND e.closed_on IS NULL AND n.voided = 0 ORDER BY n.position",
            (caseworker,),
        )
        unmonitored = reading.tx.execute(
            f"SELECT e.episode_id, e.closed_on FROM {episodes} e"
            " WHERE e.caseworker = ? AND e.closed_on IS NOT NULL AND NOT EXISTS ("
            f"  SELECT 1 FROM {entries} n WHERE n.episode_id = e.episode_id"
            "   AND n.kind = 'assessment' AND n.status = 'final' AND n.voided = 0)"
            " ORDER BY e.closed_on, e.episode_id",
            (caseworker,),
        )
        limits = {row[0]: int(row[4]) for row in open_rows}
        last_contact: dict[str, str] = {}
        first_step_on: dict[tuple[str, str], str] = {}
        current: dict[tuple[str, str], tuple[str, str]] = {}
        for episode, kind, track, status, occurred_on in entry_rows:
            last_contact[episode] = max(last_contact.get(episode, ""), occurred_on)
            if track is not None:
                first_step_on.setdefault((episode, track), occurred_on)
                current[(episode, track)] = (kind, status)
        overdue = []
        for (episode, track), (kind, status) in current.items():
            waiting = _WAITING.get((kind, status))
            if waiting is None:
                continue
            allowed = limits[episode] if kind == "course" else REFERRAL_ANSWER_DAYS
            due = date.fromisoformat(first_step_on[(episode, track)]) + timedelta(days=allowed)
            if due < as_of:
                overdue.append(Overdue(waiting, episode, track, due))
        overdue += [
            Overdue("final_monitoring_missing", episode, None, date.fromisoformat(closed_on))
            for episode, closed_on in unmonitored
        ]
        return Caseload(
            caseworker,
            as_of,
            [
                OpenEpisode(
                    episode,
                    program,
                    participant,
                    date.fromisoformat(opened_on),
                    date.fromisoformat(max(opened_on, last_contact.get(episode, opened_on))),
                )
                for episode, program, participant, opened_on, _ in open_rows
            ],
            sorted(overdue, key=lambda o: (o.due, o.episode_id, o.item_id or "")),
        )
