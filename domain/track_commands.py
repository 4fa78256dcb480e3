"""Commands on an episode's tracks: referrals, placements (with the facility's bed), courses, jobs.

Each track is a run of steps (a referral is made, then accepted and completed); a command adds
one step, and answers with the track's id.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from domain.application import CommandResult, Context, Decision, LedgerCore
from domain.episode import Episode
from domain.facility import Facility
from domain.vocabulary import CourseFormat, Employment, Residence, Specialist


class TrackCommands(LedgerCore):
    """The ledger's commands on referrals, placements, courses and jobs of an episode."""

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
