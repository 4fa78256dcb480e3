"""Commands on participants: registration with their personal data, consent, institutions,
corrections and erasure."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.commands import CommandResult, Context, Decision
from domain.participant import Participant
from domain.person_claims import claim_snils, unindex
from domain.personal_data import PersonalData, personal_data_id_for
from domain.vocabulary import InstitutionKind, Residence, TargetGroup

if TYPE_CHECKING:
    from domain.ledger import Ledger


def register_participant(
    ledger: Ledger,
    ctx: Context,
    *,
    target_groups: list[TargetGroup],
    settlement: str,
    birth_year: int,
    prior_residence: Residence,
    personal_data: dict[str, Any] | None = None,
) -> CommandResult:
    """Register a participant and their personal data (its own stream) in one transaction.

    The person is indexed, and their SNILS claimed, before the events are saved: no saved
    person is unindexed, and what a failed attempt indexed is removed (domain/person_claims.py)."""
    attempts: list[UUID] = []  # the ids decided on: a race lost is decided with a new one

    def decide(today: date) -> Decision:
        participant = Participant.register(
            target_groups=target_groups,
            settlement=settlement,
            birth_year=birth_year,
            prior_residence=prior_residence,
            by=ctx.actor,
            today=today,
        )
        saved: tuple[Any, ...] = (participant,)
        if personal_data:
            data = PersonalData.record(
                participant_id=participant.id, fields=personal_data, by=ctx.actor, today=today
            )
            saved += (data,)
            if data.fields.get("snils"):
                claim_snils(ledger, data.fields["snils"], participant.id, attempts)
            attempts.append(participant.id)
            ledger.person_index.put(participant.id, data.fields)
        return Decision(participant.id, participant.version, saved)

    arguments = {
        "target_groups": target_groups,
        "settlement": settlement,
        "birth_year": birth_year,
        "prior_residence": prior_residence,
        "personal_data": personal_data,
    }
    try:
        result = ledger.execute(ctx, "register_participant", arguments, decide)
    except BaseException:
        unindex(ledger, attempts)
        raise
    unindex(ledger, [attempt for attempt in attempts if attempt != result.id])
    return result


def correct_personal_data(
    ledger: Ledger,
    ctx: Context,
    participant_id: UUID,
    *,
    changes: dict[str, Any],
    reason: str,
    occurred_on: date,
) -> CommandResult:
    """Correct personal data; the person is indexed under the corrected data before it is saved,
    and again under what was saved if the correction failed."""
    before: dict[str, Any] = {}
    claimed: list[str] = []  # a SNILS claimed by the correction, the person's old one first

    def decide(today: date) -> Decision:
        ledger.load(Participant, participant_id).check_not_erased()
        data = ledger.load(PersonalData, personal_data_id_for(participant_id))
        before.clear()
        before.update(data.fields)
        data.correct(changes, reason, occurred_on, ctx.actor, today)
        snils = data.fields.get("snils")
        if snils and snils != before.get("snils"):
            claim_snils(ledger, snils, participant_id, [])
            claimed.append(snils)
        ledger.person_index.put(participant_id, data.fields)
        return Decision(participant_id, data.version, (data,))

    arguments = {
        "participant_id": participant_id,
        "changes": changes,
        "reason": reason,
        "occurred_on": occurred_on,
    }
    try:
        result = ledger.execute(
            ctx, "correct_personal_data", arguments, decide,
            written_to=personal_data_id_for(participant_id),
        )  # fmt: skip
    except BaseException:
        if before:  # indexed under data never saved: back to what is
            ledger.person_index.put(participant_id, before)
            for snils in claimed:
                ledger.person_index.release_snils(snils, participant_id)
        raise
    if claimed and before.get("snils"):
        ledger.person_index.release_snils(before["snils"], participant_id)
    return result


def erase_participant(
    ledger: Ledger, ctx: Context, participant_id: UUID, *, reason: str
) -> CommandResult:
    """Record the erasure, then destroy the key of the person's data: never readable again.

    The key goes after the event is saved; a crash in between leaves the person marked
    erased (nothing shows their data), and sending the command again finishes the job.
    """

    def decide(today: date) -> Decision:
        participant = ledger.load(Participant, participant_id)
        participant.erase(reason, ctx.actor, today)
        return Decision(participant_id, participant.version, (participant,))

    arguments = {"participant_id": participant_id, "reason": reason}
    result = ledger.execute(ctx, "erase_participant", arguments, decide)
    # Before the key: on SQLite the key store's rewrite also rewrites the index's rows away.
    ledger.person_index.forget([participant_id])
    ledger.shredding.shred(ctx, participant_id)
    return result


def record_consent(
    ledger: Ledger,
    ctx: Context,
    participant_id: UUID,
    *,
    scope: str,
    document_ref: str,
    occurred_on: date,
) -> CommandResult:
    return ledger.change(
        ctx,
        Participant,
        participant_id,
        "record_consent",
        {
            "participant_id": participant_id,
            "scope": scope,
            "document_ref": document_ref,
            "occurred_on": occurred_on,
        },
        lambda p, today: p.record_consent(scope, document_ref, occurred_on, ctx.actor, today),
    )


def withdraw_consent(
    ledger: Ledger, ctx: Context, participant_id: UUID, *, scope: str, occurred_on: date
) -> CommandResult:
    return ledger.change(
        ctx,
        Participant,
        participant_id,
        "withdraw_consent",
        {"participant_id": participant_id, "scope": scope, "occurred_on": occurred_on},
        lambda p, today: p.withdraw_consent(scope, occurred_on, ctx.actor, today),
    )


def withdraw_institutional_application(
    ledger: Ledger,
    ctx: Context,
    participant_id: UUID,
    *,
    institution_kind: InstitutionKind,
    occurred_on: date,
) -> CommandResult:
    return ledger.change(
        ctx,
        Participant,
        participant_id,
        "withdraw_institutional_application",
        {
            "participant_id": participant_id,
            "institution_kind": institution_kind,
            "occurred_on": occurred_on,
        },
        lambda p, today: p.withdraw_institutional_application(
            institution_kind, occurred_on, ctx.actor, today
        ),
    )


def record_institutional_admission(
    ledger: Ledger,
    ctx: Context,
    participant_id: UUID,
    *,
    institution_kind: InstitutionKind,
    occurred_on: date,
) -> CommandResult:
    return ledger.change(
        ctx,
        Participant,
        participant_id,
        "record_institutional_admission",
        {
            "participant_id": participant_id,
            "institution_kind": institution_kind,
            "occurred_on": occurred_on,
        },
        lambda p, today: p.record_institutional_admission(
            institution_kind, occurred_on, ctx.actor, today
        ),
    )


def _link_or_unlink(
    ledger: Ledger, ctx: Context, command: str, participant_id: UUID, other_id: UUID, reason: str
) -> CommandResult:
    """Record a link (or its undoing) on both records in one transaction: neither says it alone."""

    def decide(today: date) -> Decision:
        one = ledger.load(Participant, participant_id, ctx.expected_version, saved_again=True)
        other = ledger.load(Participant, other_id, saved_again=True) if other_id != one.id else one
        act = Participant.link if command == "link_participants" else Participant.unlink
        act(one, other_id, reason, ctx.actor, today)
        act(other, participant_id, reason, ctx.actor, today)
        return Decision(participant_id, one.version, (one, other))

    arguments = {"participant_id": participant_id, "other_id": other_id, "reason": reason}
    return ledger.execute(ctx, command, arguments, decide)


def link_participants(
    ledger: Ledger, ctx: Context, participant_id: UUID, *, other_id: UUID, reason: str
) -> CommandResult:
    """Record that two records are one person: both records say so, with the reason."""
    return _link_or_unlink(ledger, ctx, "link_participants", participant_id, other_id, reason)


def unlink_participants(
    ledger: Ledger, ctx: Context, participant_id: UUID, other_id: UUID, *, reason: str
) -> CommandResult:
    """Undo a link made in error, on both records, with the reason."""
    return _link_or_unlink(ledger, ctx, "unlink_participants", participant_id, other_id, reason)


def void_participant_entry(
    ledger: Ledger, ctx: Context, participant_id: UUID, event_id: UUID, *, reason: str
) -> CommandResult:
    """Void a consent or an institutional fact of the person recorded in error."""
    return ledger.change(
        ctx,
        Participant,
        participant_id,
        "void_participant_entry",
        {"participant_id": participant_id, "event_id": event_id, "reason": reason},
        lambda p, today: p.void_entry(event_id, reason, ctx.actor, today),
    )
