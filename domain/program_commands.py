"""Commands on programs (admin): define one under a code of its own, revise its targets."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from domain.commands import CommandResult, Context, Decision
from domain.program import (
    DEFAULT_COURSE_START_LIMIT_DAYS,
    Program,
    ProgramCodeTakenError,
    program_id_for,
)
from domain.vocabulary import Financing

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
) -> CommandResult:
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
