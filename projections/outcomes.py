"""Outcomes read model: the facts that count towards indicators, one row per proving event.

A fact keeps the id of the event that proves it (`entry_id` of an episode's or a participant's
event), its effective date and when it was recorded or voided, so the report
(`projections/outcome_report.py`) can count a period as known at any moment. Beside the facts:
each program's catalogue and cohorts, and the links between records of one person, each with
when it was recorded, for the same reason.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, ClassVar

from domain.episode import Episode
from domain.participant import Participant
from domain.program import Program
from domain.vocabulary import Indicator, Specialist
from projections.keys import entry_key, text
from projections.linked_records import LINKS, LinkedRecords
from projections.model import handles, recorded_at
from projections.outcome_report import RETURNED, report
from store.read_store import Tx

CONSULTING = {Specialist.PSYCHOLOGIST, Specialist.LAWYER, Specialist.DOCTOR}


class Outcomes(LinkedRecords):
    """Facts that count towards indicators, one row per proving event."""

    name = "outcomes"
    TABLES: ClassVar[dict[str, str]] = {
        "programs": "program_id TEXT PRIMARY KEY, course_limit_days INTEGER",
        # Every revision of the targets, so a report as known at a moment shows that moment's.
        "targets": (
            "program_id TEXT NOT NULL, position INTEGER NOT NULL, recorded_at TEXT NOT NULL,"
            " targets TEXT NOT NULL, PRIMARY KEY (program_id, position)"
        ),
        "participants": (
            "participant_id TEXT PRIMARY KEY, target_groups TEXT NOT NULL,"
            " prior_residence TEXT NOT NULL"
        ),
        # The services a program added to the built-in kinds; `occurred_on` is the day added.
        "catalogue": (
            "entry_id TEXT PRIMARY KEY, program_id TEXT NOT NULL, kind TEXT NOT NULL,"
            " indicator TEXT, occurred_on TEXT NOT NULL, position INTEGER NOT NULL,"
            " recorded_at TEXT NOT NULL"
        ),
        # Every definition of an indicator's cohort: the latest known at a moment applies.
        "cohorts": (
            "program_id TEXT NOT NULL, indicator TEXT NOT NULL, position INTEGER NOT NULL,"
            " recorded_at TEXT NOT NULL, prior_residence TEXT NOT NULL,"
            " target_groups TEXT NOT NULL, PRIMARY KEY (program_id, indicator, position)"
        ),
        "links": LINKS,
        "episodes": (
            "episode_id TEXT PRIMARY KEY, program_id TEXT NOT NULL, participant_id TEXT NOT NULL,"
            " opened_on TEXT NOT NULL, closed_on TEXT, opened_entry TEXT NOT NULL,"
            " opened_at TEXT NOT NULL, closed_at TEXT"
        ),
        "tracks": "track_id TEXT PRIMARY KEY, detail TEXT NOT NULL, started_on TEXT NOT NULL",
        "facts": (
            "entry_id TEXT PRIMARY KEY, program_id TEXT, participant_id TEXT NOT NULL,"
            " indicator TEXT NOT NULL, detail TEXT, quantity INTEGER, occurred_on TEXT NOT NULL,"
            " position INTEGER NOT NULL, recorded_at TEXT NOT NULL, voided_at TEXT"
        ),
    }
    INDEXES = (
        ("facts", "program_id, occurred_on"),
        ("episodes", "program_id"),
        ("episodes", "participant_id"),
        ("catalogue", "program_id"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._episodes: dict[str, tuple[str, str]] = {}
        # Facts and voidings of the batch, written together at its end (see flush).
        self._new_facts: list[tuple[Any, ...]] = []
        self._voids: list[tuple[str, str]] = []

    @handles(Program.Defined)
    def _program(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"INSERT INTO {self.t('programs')} VALUES (?, ?)",
            (text(event.originator_id), event.course_start_limit_days),
        )
        self._revision(tx, event, position, event.targets)

    @handles(Program.TargetsRevised)
    def _targets(self, tx: Tx, event: Any, position: int) -> None:
        rows = tx.execute(
            f"SELECT targets FROM {self.t('targets')} WHERE program_id = ?"
            " ORDER BY position DESC LIMIT 1",
            (text(event.originator_id),),
        )
        self._revision(tx, event, position, {**json.loads(rows[0][0]), **event.targets})

    def _revision(self, tx: Tx, event: Any, position: int, targets: dict[str, int]) -> None:
        tx.execute(
            f"INSERT INTO {self.t('targets')} VALUES (?, ?, ?, ?)",
            (
                text(event.originator_id),
                position,
                recorded_at(event.timestamp),
                json.dumps(targets),
            ),
        )

    @handles(Program.ServiceAdded)
    def _service_added(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"INSERT INTO {self.t('catalogue')} VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                entry_key(event.originator_id, event.originator_version),
                text(event.originator_id),
                event.kind,
                event.indicator,
                event.occurred_on.isoformat(),
                position,
                recorded_at(event.timestamp),
            ),
        )

    @handles(Program.CohortDefined)
    def _cohort(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"INSERT INTO {self.t('cohorts')} VALUES (?, ?, ?, ?, ?, ?)",
            (
                text(event.originator_id),
                event.indicator,
                position,
                recorded_at(event.timestamp),
                json.dumps(event.prior_residence),
                json.dumps(event.target_groups),
            ),
        )

    @handles(Participant.Registered)
    def _participant(self, tx: Tx, event: Any, position: int) -> None:
        groups = "," + ",".join(event.target_groups) + ","
        tx.execute(
            f"INSERT INTO {self.t('participants')} VALUES (?, ?, ?)",
            (text(event.originator_id), groups, event.prior_residence),
        )

    @handles(Participant.InstitutionalApplicationWithdrawn, Participant.InstitutionalAdmission)
    def _institution(self, tx: Tx, event: Any, position: int) -> None:
        withdrawn = isinstance(event, Participant.InstitutionalApplicationWithdrawn)
        indicator = Indicator.APPLICATIONS_WITHDRAWN if withdrawn else RETURNED
        self._fact(
            tx, event, position, None, text(event.originator_id), indicator, event.institution_kind
        )

    @handles(Episode.Opened)
    def _opened(self, tx: Tx, event: Any, position: int) -> None:
        episode, program, participant = map(
            str, (event.originator_id, event.program_id, event.participant_id)
        )
        tx.execute(
            f"INSERT INTO {self.t('episodes')} VALUES (?, ?, ?, ?, NULL, ?, ?, NULL)",
            (
                episode,
                program,
                participant,
                event.occurred_on.isoformat(),
                entry_key(event.originator_id, 1),
                recorded_at(event.timestamp),
            ),
        )
        self._episodes[episode] = (program, participant)

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

    @handles(Episode.ReferralMade, Episode.CourseRequested)
    def _track_started(self, tx: Tx, event: Any, position: int) -> None:
        made = isinstance(event, Episode.ReferralMade)
        track, detail = (event.referral_id, event.specialist) if made else (event.course_id, "")
        tx.execute(
            f"INSERT INTO {self.t('tracks')} VALUES (?, ?, ?)",
            (str(track), detail, event.occurred_on.isoformat()),
        )

    @handles(
        Episode.PlacementStarted,
        Episode.ReferralCompleted,
        Episode.ServiceDelivered,
        Episode.CourseCompleted,
        Episode.JobStarted,
        Episode.CourseEnrolled,
        Episode.MentorAssigned,
    )
    def _episode_fact(self, tx: Tx, event: Any, position: int) -> None:
        indicator, detail = self._indicator(tx, event)
        if indicator is not None:
            program, participant = self._episode(tx, text(event.originator_id))
            quantity = getattr(event, "quantity", None)
            self._fact(tx, event, position, program, participant, indicator, detail, quantity)

    @handles(Episode.EntryVoided, Participant.EntryVoided)
    def _voided(self, tx: Tx, event: Any, position: int) -> None:
        self._voids.append((recorded_at(event.timestamp), str(event.event_id)))

    def flush(self, tx: Tx) -> None:
        # A rural log is mostly deliveries, each a fact: one COPY a batch, not an INSERT each.
        tx.insert_rows(self.t("facts"), self._new_facts)
        tx.executemany(
            f"UPDATE {self.t('facts')} SET voided_at = ? WHERE entry_id = ?", self._voids
        )
        self._new_facts, self._voids = [], []

    def _indicator(self, tx: Tx, event: Any) -> tuple[str | None, str | None]:
        if isinstance(event, Episode.PlacementStarted):
            return Indicator.HOUSED, str(event.facility_id)
        if isinstance(event, Episode.CourseCompleted):
            return Indicator.TRAINED, None
        if isinstance(event, Episode.JobStarted):
            return Indicator.EMPLOYED, event.employment
        if isinstance(event, Episode.ServiceDelivered):
            # Every delivery: the report tells from its kind which indicators it also feeds
            # (a consultation, a skill event), by the program's catalogue as known then.
            return Indicator.SERVICES_DELIVERED, event.kind
        if isinstance(event, Episode.MentorAssigned):
            # The fact is the mentee's (a target group filters on them); the mentor is its detail.
            return Indicator.MENTORS, (
                text(event.mentor_participant_id)
                if event.mentor_participant_id is not None
                else f"staff:{event.mentor_staff}"
            )
        track_id = (
            event.referral_id if isinstance(event, Episode.ReferralCompleted) else event.course_id
        )
        [(detail, started_on)] = tx.execute(
            f"SELECT detail, started_on FROM {self.t('tracks')} WHERE track_id = ?",
            (str(track_id),),
        )
        if isinstance(event, Episode.ReferralCompleted):
            return (Indicator.CONSULTED, detail) if detail in CONSULTING else (None, None)
        program, _ = self._episode(tx, text(event.originator_id))
        [(limit,)] = tx.execute(
            f"SELECT course_limit_days FROM {self.t('programs')} WHERE program_id = ?", (program,)
        )
        waited = (event.occurred_on - date.fromisoformat(started_on)).days
        return (
            (Indicator.COURSE_STARTED_WITHIN_LIMIT, str(waited))
            if waited <= limit
            else (None, None)
        )

    def _fact(
        self,
        tx: Tx,
        event: Any,
        position: int,
        program: str | None,
        participant: str,
        indicator: str,
        detail: str | None,
        quantity: int | None = None,
    ) -> None:
        self._new_facts.append(
            (
                entry_key(event.originator_id, event.originator_version),
                program,
                participant,
                str(indicator),
                detail,
                quantity,
                event.occurred_on.isoformat(),
                position,
                recorded_at(event.timestamp),
                None,
            )
        )

    def _episode(self, tx: Tx, episode: str) -> tuple[str, str]:
        if episode not in self._episodes:
            [(program, participant)] = tx.execute(
                f"SELECT program_id, participant_id FROM {self.t('episodes')} WHERE episode_id = ?",
                (episode,),
            )
            self._episodes[episode] = (program, participant)
        return self._episodes[episode]

    def follow_switch(self, live: int | None = None) -> None:
        generation = self.generation
        super().follow_switch(live)
        if generation != self.generation:
            self._episodes.clear()

    # The query reads only the tables: it lives beside them, in its own module.
    report = staticmethod(report)
