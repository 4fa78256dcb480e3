"""Commands on programs (admin): define one under a code of its own, revise its targets, add
services to its catalogue, define the cohort an indicator is counted on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.commands import CommandResult, Context, Decision
from domain.program import (
    DEFAULT_COURSE_START_LIMIT_DAYS,
    Program,
    ProgramCodeTakenError,
    program_id_for,
)
from domain.vocabulary import Financing, Indicator, Residence, TargetGroup

if TYPE_CHECKING:
    from domain.ledger import Ledger


def define_program(
    ledger: Ledger,
    ctx: Context,
    *,
    code: str,
    name: str,
    financing: Financing,
    period_start: date,
    period_end: date,
    targets: dict[str, int],
    course_start_limit_days: int = DEFAULT_COURSE_START_LIMIT_DAYS,
    services: Sequence[Mapping[str, Any]] = (),
    cohorts: Sequence[Mapping[str, Any]] = (),
) -> CommandResult:
    """Define a program, with its own services and its cohorts if given (each as the fields of
    `add_service` and `define_cohort`), all recorded at once."""

    def decide(today: date) -> Decision:
        if program_id_for(code) in ledger.repository:
            raise ProgramCodeTakenError(f"program code {code!r} is taken")
        program = Program.define(
            code=code,
            name=name,
            financing=financing,
            period_start=period_start,
            period_end=period_end,
            targets=targets,
            course_start_limit_days=course_start_limit_days,
            by=ctx.actor,
            today=today,
        )
        for service in services:
            program.add_service(
                service["kind"],
                service["name"],
                service["unit"],
                service.get("indicator"),
                service.get("occurred_on") or today,
                ctx.actor,
                today,
            )
        for cohort in cohorts:
            program.define_cohort(
                cohort["indicator"],
                cohort.get("prior_residence", []),
                cohort.get("target_groups", []),
                cohort["reason"],
                ctx.actor,
                today,
            )
        return Decision(program.id, program.version, (program,))

    arguments = {
        "code": code,
        "name": name,
        "financing": financing,
        "period_start": period_start,
        "period_end": period_end,
        "targets": targets,
        "course_start_limit_days": course_start_limit_days,
    }
    # Named only when given: a body without them keeps the fingerprint it always had.
    if services:
        arguments["services"] = list(services)
    if cohorts:
        arguments["cohorts"] = list(cohorts)
    return ledger.execute(ctx, "define_program", arguments, decide)


def revise_targets(
    ledger: Ledger, ctx: Context, program_id: UUID, *, targets: dict[str, int], reason: str
) -> CommandResult:
    return ledger.change(
        ctx,
        Program,
        program_id,
        "revise_targets",
        {"program_id": program_id, "targets": targets, "reason": reason},
        lambda p, today: p.revise_targets(targets, reason, ctx.actor, today),
    )


def add_service(
    ledger: Ledger,
    ctx: Context,
    program_id: UUID,
    *,
    kind: str,
    name: str,
    unit: str,
    indicator: Indicator | None = None,
    occurred_on: date | None = None,
) -> CommandResult:
    """Add a service of the program's own to its catalogue, from `occurred_on` (default today)."""
    return ledger.change(
        ctx,
        Program,
        program_id,
        "add_service",
        {
            "program_id": program_id,
            "kind": kind,
            "name": name,
            "unit": unit,
            "indicator": indicator,
            "occurred_on": occurred_on,
        },
        lambda p, today: p.add_service(
            kind, name, unit, indicator, occurred_on or today, ctx.actor, today
        ),
    )


def define_cohort(
    ledger: Ledger,
    ctx: Context,
    program_id: UUID,
    *,
    indicator: Indicator,
    prior_residence: list[Residence],
    target_groups: list[TargetGroup],
    reason: str,
) -> CommandResult:
    """Count `indicator` on a cohort of the program's participants; replaces the one before."""
    return ledger.change(
        ctx,
        Program,
        program_id,
        "define_cohort",
        {
            "program_id": program_id,
            "indicator": indicator,
            "prior_residence": prior_residence,
            "target_groups": target_groups,
            "reason": reason,
        },
        lambda p, today: p.define_cohort(
            indicator, prior_residence, target_groups, reason, ctx.actor, today
        ),
    )


def define_outcome(
    ledger: Ledger,
    ctx: Context,
    program_id: UUID,
    *,
    key: str,
    name: str,
    condition: dict[str, Any],
    reason: str,
    cohort: dict[str, Any] | None = None,
    window: dict[str, Any] | None = None,
    price: int = 0,
    cap: int | None = None,
) -> CommandResult:
    """Define an outcome of the program (domain/outcome_rules.py), or its next version."""
    definition = {
        "name": name,
        "condition": condition,
        "cohort": cohort,
        "window": window,
        "price": price,
        "cap": cap,
    }
    return ledger.change(
        ctx,
        Program,
        program_id,
        "define_outcome",
        {"program_id": program_id, "key": key, **definition, "reason": reason},
        lambda p, today: p.define_outcome(key, definition, reason, ctx.actor, today),
    )
