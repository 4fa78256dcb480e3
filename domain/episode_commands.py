"""Commands on service episodes: intake, assessments, plans, services, mentors, voids, closure.

Referrals, placements, courses and jobs, each a track of steps, are in domain/track_commands.py.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.application import CommandResult, Context, Decision
from domain.episode import Episode
from domain.participant import Participant
from domain.program import Program
from domain.track_commands import TrackCommands
from domain.vocabulary import (
    AssessmentStage,
    ClosureReason,
    Residence,
    ServiceKind,
)


class EpisodeCommands(TrackCommands):
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
