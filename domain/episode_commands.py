"""Commands on service episodes: intake, referrals, placements, courses, jobs, services, closure."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from domain.application import CommandResult, Context, Decision, LedgerCore
from domain.episode import Episode
from domain.facility import Facility
from domain.participant import Participant
from domain.program import Program
from domain.vocabulary import (
    AssessmentStage,
    ClosureReason,
    CourseFormat,
    Employment,
    Residence,
    ServiceKind,
    Specialist,
)


class EpisodeCommands(LedgerCore):
    """The ledger's episode commands; each loads, calls one aggregate method, saves."""

    def program_of(self, episode_id: UUID) -> UUID:
        """The program of an episode: fixed when it opened, so what this process saved will do."""
        kept = self.recent.peek(episode_id)
        if isinstance(kept, Episode):
            return kept.program_id
        return self.load(Episode, episode_id).program_id

    def open_episode(
        self,
        ctx: Context,
        *,
        participant_id: UUID,
        program_id: UUID,
        caseworker: str,
        referral_source: str,
        occurred_on: date,
    ) -> CommandResult:
        def decide(today: date) -> Decision:
            participant = self.load(Participant, participant_id)
            episode = Episode.open(
                participant=participant,
                program=self.load(Program, program_id),
                caseworker=caseworker,
                referral_source=referral_source,
                occurred_on=occurred_on,
                by=ctx.actor,
                today=today,
            )
            return Decision(episode.id, episode.version, (episode, participant))

        return self.execute(ctx, "open_episode", locals(), decide)

    def assign_caseworker(
        self, ctx: Context, episode_id: UUID, *, caseworker: str, occurred_on: date
    ) -> CommandResult:
        return self._change(
            ctx,
            Episode,
            episode_id,
            "assign_caseworker",
            locals(),
            lambda e, today: e.assign_caseworker(caseworker, occurred_on, ctx.actor, today),
        )

    def record_assessment(
        self,
        ctx: Context,
        episode_id: UUID,
        *,
        stage: AssessmentStage,
        instrument: str,
        scores: dict[str, int],
        occurred_on: date,
    ) -> CommandResult:
        return self._change(
            ctx,
            Episode,
            episode_id,
            "record_assessment",
            locals(),
            lambda e, today: e.record_assessment(
                stage, instrument, scores, occurred_on, ctx.actor, today
            ),
        )

    def agree_plan(
        self,
        ctx: Context,
        episode_id: UUID,
        *,
        goals: list[str],
        review_on: date | None,
        occurred_on: date,
    ) -> CommandResult:
        return self._change(
            ctx,
            Episode,
            episode_id,
            "agree_plan",
            locals(),
            lambda e, today: e.agree_plan(goals, review_on, occurred_on, ctx.actor, today),
        )

    def make_referral(
        self, ctx: Context, episode_id: UUID, *, specialist: Specialist, occurred_on: date
    ) -> CommandResult:
        referral_id = uuid4()
        return self._change(
            ctx,
            Episode,
            episode_id,
            "make_referral",
            {**locals(), "referral_id": None},
            lambda e, today: e.make_referral(
                referral_id, specialist, occurred_on, ctx.actor, today
            ),
            result_id=referral_id,
        )

    def answer_referral(
        self,
        ctx: Context,
        episode_id: UUID,
        referral_id: UUID,
        *,
        answer: str,
        reason: str = "",
        occurred_on: date,
    ) -> CommandResult:
        """`answer` is accepted, declined (with a reason) or completed."""
        return self._change(
            ctx,
            Episode,
            episode_id,
            "answer_referral",
            locals(),
            lambda e, today: e.answer_referral(
                referral_id, answer, reason, occurred_on, ctx.actor, today
            ),
            result_id=referral_id,
        )

    def start_placement(
        self, ctx: Context, episode_id: UUID, *, facility_id: UUID, occurred_on: date
    ) -> CommandResult:
        """Place the participant in a free bed; the facility and the episode are saved together."""
        placement_id = uuid4()

        def decide(today: date) -> Decision:
            episode = self.load(Episode, episode_id, ctx.expected_version, saved_again=True)
            facility = self.load(Facility, facility_id, saved_again=True)
            episode.start_placement(facility, placement_id, occurred_on, ctx.actor, today)
            return Decision(placement_id, episode.version, (facility, episode))

        return self.execute(ctx, "start_placement", {**locals(), "placement_id": None}, decide)

    def end_placement(
        self,
        ctx: Context,
        episode_id: UUID,
        placement_id: UUID,
        *,
        destination: Residence,
        occurred_on: date,
    ) -> CommandResult:
        def decide(today: date) -> Decision:
            episode = self.load(Episode, episode_id, ctx.expected_version, saved_again=True)
            facility = self.load(
                Facility, episode.placement_facility(placement_id), saved_again=True
            )
            episode.end_placement(
                facility, placement_id, destination, occurred_on, ctx.actor, today
            )
            return Decision(placement_id, episode.version, (facility, episode))

        return self.execute(ctx, "end_placement", locals(), decide)

    def request_course(
        self,
        ctx: Context,
        episode_id: UUID,
        *,
        title: str,
        hours: int,
        course_format: CourseFormat,
        occurred_on: date,
    ) -> CommandResult:
        course_id = uuid4()
        return self._change(
            ctx,
            Episode,
            episode_id,
            "request_course",
            {**locals(), "course_id": None},
            lambda e, today: e.request_course(
                course_id, title, hours, course_format, occurred_on, ctx.actor, today
            ),
            result_id=course_id,
        )

    def advance_course(
        self,
        ctx: Context,
        episode_id: UUID,
        course_id: UUID,
        *,
        to: str,
        reason: str = "",
        occurred_on: date,
    ) -> CommandResult:
        """`to` is enrolled, completed or dropped (with a reason)."""
        return self._change(
            ctx,
            Episode,
            episode_id,
            "advance_course",
            locals(),
            lambda e, today: e.advance_course(course_id, to, reason, occurred_on, ctx.actor, today),
            result_id=course_id,
        )

    def start_job(
        self,
        ctx: Context,
        episode_id: UUID,
        *,
        employment: Employment,
        occupation: str,
        occurred_on: date,
    ) -> CommandResult:
        job_id = uuid4()
        return self._change(
            ctx,
            Episode,
            episode_id,
            "start_job",
            {**locals(), "job_id": None},
            lambda e, today: e.start_job(
                job_id, employment, occupation, occurred_on, ctx.actor, today
            ),
            result_id=job_id,
        )

    def end_job(
        self, ctx: Context, episode_id: UUID, job_id: UUID, *, reason: str, occurred_on: date
    ) -> CommandResult:
        return self._change(
            ctx,
            Episode,
            episode_id,
            "end_job",
            locals(),
            lambda e, today: e.end_job(job_id, reason, occurred_on, ctx.actor, today),
            result_id=job_id,
        )

    def deliver_service(
        self,
        ctx: Context,
        episode_id: UUID,
        *,
        kind: ServiceKind,
        quantity: int,
        settlement: str,
        occurred_on: date,
    ) -> CommandResult:
        return self._change(
            ctx,
            Episode,
            episode_id,
            "deliver_service",
            locals(),
            lambda e, today: e.deliver_service(
                kind, quantity, settlement, occurred_on, ctx.actor, today
            ),
        )

    def assign_mentor(
        self, ctx: Context, episode_id: UUID, *, mentor_ref: str, occurred_on: date
    ) -> CommandResult:
        return self._change(
            ctx,
            Episode,
            episode_id,
            "assign_mentor",
            locals(),
            lambda e, today: e.assign_mentor(mentor_ref, occurred_on, ctx.actor, today),
        )

    def void_entry(
        self, ctx: Context, episode_id: UUID, event_id: UUID, *, reason: str
    ) -> CommandResult:
        return self._change(
            ctx,
            Episode,
            episode_id,
            "void_entry",
            locals(),
            lambda e, today: e.void_entry(event_id, reason, ctx.actor, today),
        )

    def close_episode(
        self,
        ctx: Context,
        episode_id: UUID,
        *,
        reason: ClosureReason,
        destination: Residence,
        occurred_on: date,
    ) -> CommandResult:
        return self._change(
            ctx,
            Episode,
            episode_id,
            "close_episode",
            locals(),
            lambda e, today: e.close(reason, destination, occurred_on, ctx.actor, today),
        )
