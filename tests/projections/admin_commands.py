"""The program and people commands the outcomes tests give, sent as an admin in one line each."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.base import Actor
from domain.commands import CommandResult, Context
from domain.ledger import Ledger
from domain.vocabulary import Indicator, Residence, TargetGroup

ADMIN = Context(Actor("admin-1", "admin", "req-given"))


def add_service(
    ledger: Ledger, program: UUID, kind: str, indicator: str | None, on: date
) -> CommandResult:
    """The program adds a service of its own to its catalogue on the day `on`."""
    return ledger.add_service(
        ADMIN,
        program,
        kind=kind,
        name=kind.replace("_", " "),
        unit="session",
        indicator=None if indicator is None else Indicator(indicator),
        occurred_on=on,
    )


def define_cohort(
    ledger: Ledger,
    program: UUID,
    indicator: str,
    prior_residence: list[str],
    target_groups: list[str] | None = None,
) -> CommandResult:
    """The program counts `indicator` only on participants matching these lists."""
    return ledger.define_cohort(
        ADMIN,
        program,
        indicator=Indicator(indicator),
        prior_residence=[Residence(r) for r in prior_residence],
        target_groups=[TargetGroup(g) for g in target_groups or []],
        reason="the assessor counts it on them",
    )


def link(ledger: Ledger, one: UUID, other: UUID, *, undo: bool = False) -> CommandResult:
    """Record (or undo) that two records are one person, on both records at once."""
    if undo:
        return ledger.unlink_participants(ADMIN, one, other, reason="twins, not one person")
    return ledger.link_participants(ADMIN, one, other_id=other, reason="the same SNILS on paper")


def void_participant_entry(ledger: Ledger, participant: UUID, entry: UUID) -> CommandResult:
    return ledger.void_participant_entry(ADMIN, participant, entry, reason="recorded in error")


def deliver_catalogue_service(
    ledger: Ledger, episode: UUID, kind: str, quantity: int, on: date
) -> CommandResult:
    """A delivery of a program's own kind."""
    return ledger.deliver_service(
        ADMIN, episode, kind=kind, quantity=quantity, settlement="Kopeysk", occurred_on=on
    )
