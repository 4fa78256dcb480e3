"""What a claim freezes: the program's outcomes achieved in the period, as known at a moment,
one line each with its evidence and amount, and the signed checkpoint covering that evidence.

Each definition's current version as known at the moment is claimed. A line is a person whose
outcome was achieved on a day of the period (evaluated on the period's last day); lines are
ordered by that day, then by person, and the definition's cap counts in that order: a line past
the cap is claimed at 0. The read model is first brought up to the end of the log, so a claim
never misses what was recorded before it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from api.bootstrap import Components
from domain.base import DomainError
from domain.claim import ClaimBasis
from domain.program import Program
from projections.model import ReadModel
from projections.outcome_status import OutcomeStatus, chosen, evidence_position, statuses
from projections.read_your_writes import wait_for
from store import cooperative


class EvidenceUnsealedError(DomainError):
    """No signed checkpoint covers the claim's evidence yet: the seal signs every few seconds
    or events; send the claim again shortly."""

    rule = "claim_evidence_unsealed"


def outcome_facts_caught_up(components: Components) -> ReadModel:
    """The outcome facts model, once it has every event of the log as it stands now."""
    model = components.models["outcome_facts"]
    head = components.ledger.recorder.max_notification_id() or 0
    wait_for(model, head, timeout=components.settings.read_wait_seconds)
    return model


def claim_basis(
    components: Components, program_id: UUID, period_start: date, period_end: date
) -> Callable[[datetime], ClaimBasis]:
    """The basis of a claim on `program_id` for the period, computed at the moment given."""

    def frozen(known_at: datetime) -> ClaimBasis:
        result: ClaimBasis = cooperative.blocking(_frozen, known_at)
        return result

    def _frozen(known_at: datetime) -> ClaimBasis:
        ledger, model = components.ledger, outcome_facts_caught_up(components)
        program: Program = ledger.load_as_known(Program, program_id, known_at)
        definitions = chosen(program.outcome_definitions)
        period = (period_start, period_end)
        with model.reading() as reading:
            found = statuses(reading, program_id, definitions, period_end, known_at)
            lines = [line for status in found for line in claim_lines(status, period)]
            position = evidence_position(
                reading, [entry for line in lines for entry in line["evidence"]]
            )
        covering = components.seal.covering(position) if lines else None
        if lines and covering is None:
            raise EvidenceUnsealedError(
                f"the evidence reaches log position {position}, which no signed checkpoint"
                " covers yet"
            )
        return ClaimBasis(
            definitions={key: version for key, version, _ in definitions},
            lines=lines,
            checkpoint=covering.as_dict() if covering else None,
        )

    return frozen


def claim_lines(status: OutcomeStatus, period: tuple[date, date]) -> list[dict[str, Any]]:
    """A line for each outcome achieved in the period, the cap counted in their order."""
    period_start, period_end = period
    definition = status.definition
    achieved = sorted(
        (found.on, person, found.evidence)
        for person, found in status.people.items()
        if found.state == "achieved" and found.on and period_start <= found.on <= period_end
    )
    return [
        {
            "participant_id": person,
            "key": status.key,
            "version": status.version,
            "on": on.isoformat(),
            "evidence": list(evidence),
            "amount": definition.price if definition.cap is None or n < definition.cap else 0,
        }
        for n, (on, person, evidence) in enumerate(achieved)
    ]
