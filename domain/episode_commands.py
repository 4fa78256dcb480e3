"""Commands on service episodes: intake, assessments, plans, services, mentors, voids, closure.

Referrals, placements, courses and jobs, each a track of steps, are in domain/track_commands.py.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from domain.catalogue import is_built_in
from domain.commands import CommandResult, Context, Decision
from domain.episode import Episode
from domain.participant import Participant
from domain.program import Program
from domain.vocabulary import AssessmentStage, ClosureReason, Residence, ServiceKind

if TYPE_CHECKING:
    from domain.ledger import Ledger


def open_episode(
    ledger: Ledger,
    ctx: Context,
    *,
    participant_id: UUID,
    program_id: UUID,
    caseworker: str,
    referral_source: str,
    occurred_on: date,
) -> CommandResult:
    def decide(today: date) -> Decision:
        participant = ledger.load(Participant, participant_id)
        episode = Episode.open(
            participant=participant,
            program=ledger.load(Program, program_id),
            caseworker=caseworker,
            referral_source=referral_source,
            occurred_on=occurred_on,
            by=ctx.actor,
            today=today,
        )
        return Decision(episode.id, episode.version, (episode, participant))

    arguments = {
        "participant_id": participant_id,
        "program_id": program_id,
        "caseworker": caseworker,
        "referral_source": referral_source,
        "occurred_on": occurred_on,
    }
    return ledger.execute(ctx, "open_episode", arguments, decide)


def assign_caseworker(
    ledger: Ledger, ctx: Context, episode_id: UUID, *, caseworker: str, occurred_on: date
) -> CommandResult:
    return ledger.change(
        ctx,
        Episode,
        episode_id,
        "assign_caseworker",
        {"episode_id": episode_id, "caseworker": caseworker, "occurred_on": occurred_on},
        lambda e, today: e.assign_caseworker(caseworker, occurred_on, ctx.actor, today),
    )


def record_assessment(
    ledger: Ledger,
    ctx: Context,
    episode_id: UUID,
    *,
    stage: AssessmentStage,
    instrument: str,
    scores: dict[str, int],
    occurred_on: date,
) -> CommandResult:
    return ledger.change(
        ctx,
        Episode,
        episode_id,
        "record_assessment",
        {
            "episode_id": episode_id,
            "stage": stage,
            "instrument": instrument,
            "scores": scores,
            "occurred_on": occurred_on,
        },
        lambda e, today: e.record_assessment(
            stage, instrument, scores, occurred_on, ctx.actor, today
        ),
    )


def agree_plan(
    ledger: Ledger,
    ctx: Context,
    episode_id: UUID,
    *,
    goals: list[str],
    review_on: date | None,
    occurred_on: date,
) -> CommandResult:
    return ledger.change(
        ctx,
        Episode,
        episode_id,
        "agree_plan",
        {
            "episode_id": episode_id,
            "goals": goals,
            "review_on": review_on,
            "occurred_on": occurred_on,
        },
        lambda e, today: e.agree_plan(goals, review_on, occurred_on, ctx.actor, today),
    )


def deliver_service(
    ledger: Ledger,
    ctx: Context,
    episode_id: UUID,
    *,
    kind: ServiceKind | str,
    quantity: int,
    settlement: str,
    occurred_on: date,
) -> CommandResult:
    """Record a service of a built-in kind or of a kind in the episode's program's catalogue."""

    def act(episode: Episode, today: date) -> None:
        # The hottest command: the program is read only for a kind of its own catalogue. It
        # is not saved again: a catalogue only grows, so a kind added meanwhile is at worst
        # refused once, never wrongly accepted.
        program = None if is_built_in(kind) else ledger.load(Program, episode.program_id)
        episode.deliver_service(kind, quantity, settlement, occurred_on, ctx.actor, today, program)

    return ledger.change(
        ctx,
        Episode,
        episode_id,
        "deliver_service",
        {
            "episode_id": episode_id,
            "kind": kind,
            "quantity": quantity,
            "settlement": settlement,
            "occurred_on": occurred_on,
        },
        act,
    )


def assign_mentor(
    ledger: Ledger,
    ctx: Context,
    episode_id: UUID,
    *,
    occurred_on: date,
    mentor_participant_id: UUID | None = None,
    mentor_staff: str | None = None,
) -> CommandResult:
    """Assign a mentor: a participant the ledger knows (not erased), or a member of staff."""

    def decide(today: date) -> Decision:
        if mentor_participant_id is not None:
            ledger.load(Participant, mentor_participant_id).check_not_erased()
        episode = ledger.load(Episode, episode_id, ctx.expected_version, saved_again=True)
        episode.assign_mentor(mentor_participant_id, mentor_staff, occurred_on, ctx.actor, today)
        return Decision(episode_id, episode.version, (episode,))

    arguments = {
        "episode_id": episode_id,
        "mentor_participant_id": mentor_participant_id,
        "mentor_staff": mentor_staff,
        "occurred_on": occurred_on,
    }
    return ledger.execute(ctx, "assign_mentor", arguments, decide)


def void_entry(
    ledger: Ledger, ctx: Context, episode_id: UUID, event_id: UUID, *, reason: str
) -> CommandResult:
    return ledger.change(
        ctx,
        Episode,
        episode_id,
        "void_entry",
        {"episode_id": episode_id, "event_id": event_id, "reason": reason},
        lambda e, today: e.void_entry(event_id, reason, ctx.actor, today),
    )


def close_episode(
    ledger: Ledger,
    ctx: Context,
    episode_id: UUID,
    *,
    reason: ClosureReason,
    destination: Residence,
    occurred_on: date,
) -> CommandResult:
    return ledger.change(
        ctx,
        Episode,
        episode_id,
        "close_episode",
        {
            "episode_id": episode_id,
            "reason": reason,
            "destination": destination,
            "occurred_on": occurred_on,
        },
        lambda e, today: e.close(reason, destination, occurred_on, ctx.actor, today),
    )
