"""The Ledger application: one method per command; each loads, calls one aggregate method, saves."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.application import CommandResult, Context, Decision
from domain.episode_commands import EpisodeCommands
from domain.facility import Facility
from domain.participant import Participant
from domain.personal_data import PersonalData, personal_data_id_for
from domain.program import (
    DEFAULT_COURSE_START_LIMIT_DAYS,
    Program,
    ProgramCodeTakenError,
    program_id_for,
)
from domain.vocabulary import (
    FacilityKind,
    Financing,
    InstitutionKind,
    Residence,
    TargetGroup,
)


class Ledger(EpisodeCommands):
    """The system of record of programs, facilities, participants and their service episodes."""

    # Programs and facilities (admin).

    def define_program(
        self,
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
            if program_id_for(code) in self.repository:
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

        return self.execute(ctx, "define_program", locals(), decide)

    def revise_targets(
        self, ctx: Context, program_id: UUID, *, targets: dict[str, int], reason: str
    ) -> CommandResult:
        return self._change(
            ctx,
            Program,
            program_id,
            "revise_targets",
            locals(),
            lambda p, today: p.revise_targets(targets, reason, ctx.actor, today),
        )

    def register_facility(
        self,
        ctx: Context,
        *,
        kind: FacilityKind,
        name: str,
        settlement: str,
        capacity: int,
        occurred_on: date,
    ) -> CommandResult:
        def decide(today: date) -> Decision:
            facility = Facility.register(
                kind=kind,
                name=name,
                settlement=settlement,
                capacity=capacity,
                occurred_on=occurred_on,
                by=ctx.actor,
                today=today,
            )
            return Decision(facility.id, facility.version, (facility,))

        return self.execute(ctx, "register_facility", locals(), decide)

    def change_capacity(
        self, ctx: Context, facility_id: UUID, *, capacity: int, reason: str, occurred_on: date
    ) -> CommandResult:
        return self._change(
            ctx,
            Facility,
            facility_id,
            "change_capacity",
            locals(),
            lambda f, today: f.change_capacity(capacity, reason, occurred_on, ctx.actor, today),
        )

    # Participants.

    def register_participant(
        self,
        ctx: Context,
        *,
        target_groups: list[TargetGroup],
        settlement: str,
        birth_year: int,
        prior_residence: Residence,
        personal_data: dict[str, Any] | None = None,
    ) -> CommandResult:
        """Register a participant and their personal data (its own stream) in one transaction."""

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
                saved += (
                    PersonalData.record(
                        participant_id=participant.id,
                        fields=personal_data,
                        by=ctx.actor,
                        today=today,
                    ),
                )
            return Decision(participant.id, participant.version, saved)

        return self.execute(ctx, "register_participant", locals(), decide)

    def correct_personal_data(
        self,
        ctx: Context,
        participant_id: UUID,
        *,
        changes: dict[str, Any],
        reason: str,
        occurred_on: date,
    ) -> CommandResult:
        def decide(today: date) -> Decision:
            self.load(Participant, participant_id).check_not_erased()
            data = self.load(PersonalData, personal_data_id_for(participant_id))
            data.correct(changes, reason, occurred_on, ctx.actor, today)
            return Decision(participant_id, data.version, (data,))

        return self.execute(ctx, "correct_personal_data", locals(), decide)

    def erase_participant(
        self, ctx: Context, participant_id: UUID, *, reason: str
    ) -> CommandResult:
        """Record the erasure, then destroy the key of the person's data: never readable again.

        The key goes after the event is saved; a crash in between leaves the person marked
        erased (nothing shows their data), and sending the command again finishes the job.
        """

        def decide(today: date) -> Decision:
            participant = self.load(Participant, participant_id)
            participant.erase(reason, ctx.actor, today)
            return Decision(participant_id, participant.version, (participant,))

        result = self.execute(ctx, "erase_participant", locals(), decide)
        self.keyring.destroy(personal_data_id_for(participant_id))
        return result

    def record_consent(
        self,
        ctx: Context,
        participant_id: UUID,
        *,
        scope: str,
        document_ref: str,
        occurred_on: date,
    ) -> CommandResult:
        return self._change(
            ctx,
            Participant,
            participant_id,
            "record_consent",
            locals(),
            lambda p, today: p.record_consent(scope, document_ref, occurred_on, ctx.actor, today),
        )

    def withdraw_consent(
        self, ctx: Context, participant_id: UUID, *, scope: str, occurred_on: date
    ) -> CommandResult:
        return self._change(
            ctx,
            Participant,
            participant_id,
            "withdraw_consent",
            locals(),
            lambda p, today: p.withdraw_consent(scope, occurred_on, ctx.actor, today),
        )

    def withdraw_institutional_application(
        self,
        ctx: Context,
        participant_id: UUID,
        *,
        institution_kind: InstitutionKind,
        occurred_on: date,
    ) -> CommandResult:
        return self._change(
            ctx,
            Participant,
            participant_id,
            "withdraw_institutional_application",
            locals(),
            lambda p, today: p.withdraw_institutional_application(
                institution_kind, occurred_on, ctx.actor, today
            ),
        )

    def record_institutional_admission(
        self,
        ctx: Context,
        participant_id: UUID,
        *,
        institution_kind: InstitutionKind,
        occurred_on: date,
    ) -> CommandResult:
        return self._change(
            ctx,
            Participant,
            participant_id,
            "record_institutional_admission",
            locals(),
            lambda p, today: p.record_institutional_admission(
                institution_kind, occurred_on, ctx.actor, today
            ),
        )
