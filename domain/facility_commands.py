"""Commands on facilities (admin): register one with its beds, change how many it has."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from domain.commands import CommandResult, Context, Decision
from domain.facility import Facility
from domain.program import Program
from domain.vocabulary import FacilityKind

if TYPE_CHECKING:
    from domain.ledger import Ledger


def register_facility(
    ledger: Ledger,
    ctx: Context,
    *,
    kind: FacilityKind,
    name: str,
    settlement: str,
    capacity: int,
    occurred_on: date,
    programs: Sequence[UUID] = (),
) -> CommandResult:
    """Register a facility, serving the given programs (each must exist) or, with none, all."""

    def decide(today: date) -> Decision:
        for program_id in programs:
            ledger.load(Program, program_id)
        facility = Facility.register(
            kind=kind,
            name=name,
            settlement=settlement,
            capacity=capacity,
            occurred_on=occurred_on,
            by=ctx.actor,
            today=today,
            programs=programs,
        )
        return Decision(facility.id, facility.version, (facility,))

    arguments = {
        "kind": kind,
        "name": name,
        "settlement": settlement,
        "capacity": capacity,
        "occurred_on": occurred_on,
    }
    if programs:  # a body without programs keeps the fingerprint it had before they existed
        arguments["programs"] = list(programs)
    return ledger.execute(ctx, "register_facility", arguments, decide)


def change_capacity(
    ledger: Ledger,
    ctx: Context,
    facility_id: UUID,
    *,
    capacity: int,
    reason: str,
    occurred_on: date,
) -> CommandResult:
    return ledger.change(
        ctx,
        Facility,
        facility_id,
        "change_capacity",
        {
            "facility_id": facility_id,
            "capacity": capacity,
            "reason": reason,
            "occurred_on": occurred_on,
        },
        lambda f, today: f.change_capacity(capacity, reason, occurred_on, ctx.actor, today),
    )
