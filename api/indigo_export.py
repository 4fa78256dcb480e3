"""A program as an impact-bond project in the INDIGO data standard, so that funders can set it
beside other programs: its outcome metrics, their targets and prices, what was achieved on a
day and what accepted claims paid, all as the ledger knew it at a moment.

The standard is the Government Outcomes Lab's INDIGO data standard, version 4.1.0
(github.com/INDIGO-Initiative/indigo-data-standard, schema/project.json). `project` holds that
schema's fields, each value wrapped as the standard has it (`{"value": ...}`), of which the ledger
fills:

- `name` (the program's name), `alternative_names` (its code), `dates`
  (`start_date_of_service_provision`, `anticipated_end_date_of_service_provision`: its period);
- `outcome_metrics`, one per outcome key (its current definition as known then): `id` (the key),
  `definition` (its name), `target_population` (its cohort), `outcome_metric_target` (its
  condition and window, in words), `targeted_number_of_service_users_or_beneficiaries_total`
  (its cap, if it has one), `unit_type_of_targeted_service_users_or_beneficiaries`
  (Individual), `outcome_validation_method` (simple ex-post verification: an assessor verifies
  each claimed outcome's recorded events), `data_source_for_outcome_validation`, `notes` (the
  definition's version);
- `outcome_pricings`: `price_per_unit` (the price), `maximum_price_if_all_targets_achieved`
  (price times cap, a string as the standard types it);
- `results`, one per metric at outcome level on `as_of`: `period` (the window's start, or the
  program's, to `as_of`), `result_type` (Final once the window closed with nobody pending,
  Interim before), `number_engaged_in_impact_bond` (the cohort),
  `number_with_positive_social_outcomes` (achieved), `outcomes_achieved` and
  `other_description_of_result` (pending, failed, and the outcomes and amount payable on `as_of`
  within the cap: the numbers of GET /v1/programs/{id}/outcome-status);
- `outcome_payments`: one Actual payment per outcome key of each claim accepted by then, its
  `period` the claim's and its amount that of the key's verified lines;
- `overall_project_finance`: `maximum_potential_outcome_payment_v2` (the caps' sum, when every
  outcome has a cap) and `total_outcome_payments_made` (what accepted claims paid).

Left out, because the ledger does not know them: the INDIGO-POJ project id (the GO Lab assigns
it, and keeps a project's fields under `data`), organisations (payers, providers, investors,
validators) and their ids, currencies and USD amounts, investments, sources, SDGs and policy
sectors, planned payments, costs, and the publication `status`. People are counted, never named:
no participant id, entry id or personal detail appears in an export.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.base import NotFoundError
from domain.claim import Claim
from domain.ledger import Ledger
from domain.outcome_rules import Definition
from domain.program import Program
from projections.model import Reading
from projections.outcome_status import OutcomeStatus, chosen, statuses

INDIGO_VERSION = "4.1.0"
INDIGO_SCHEMA = (
    "https://github.com/INDIGO-Initiative/indigo-data-standard/blob/4.1.0/schema/project.json"
)
VALIDATION = "Simple ex-post verification"
DATA_SOURCE = (
    "Administrative data: the events of the service-episode ledger, under signed checkpoints"
)
CLAIMS_PAGE = 500


@dataclass(frozen=True)
class Payment:
    """What an accepted claim paid for one outcome: its verified lines' amounts."""

    key: str
    claim_id: UUID
    period_start: date
    period_end: date
    amount: int


def indigo_export(
    ledger: Ledger, reading: Reading, program: Program, as_of: date, known_at: datetime | None
) -> dict[str, Any]:
    """The program's export on `as_of` as known at `known_at` (now, if None); `program` as
    known then."""
    found = statuses(reading, program.id, chosen(program.outcome_definitions), as_of, known_at)
    payments = paid_by(program_claims(ledger, program.id, known_at))
    return {
        "indigo_version": INDIGO_VERSION,
        "schema": INDIGO_SCHEMA,
        "program_id": str(program.id),
        "program_code": program.code,
        "as_of": as_of.isoformat(),
        "known_at": known_at.isoformat() if known_at else None,
        "position": reading.position,
        "project": project(program, found, payments, as_of),
    }


def project(
    program: Program, found: Sequence[OutcomeStatus], payments: Sequence[Payment], as_of: date
) -> dict[str, Any]:
    """The INDIGO project fields the ledger knows (see the module's docstring)."""
    caps = [o.definition.price * o.definition.cap for o in found if o.definition.cap is not None]
    finance: dict[str, Any] = {
        "total_outcome_payments_made": {"amount": _value(sum(p.amount for p in payments))}
    }
    if found and len(caps) == len(found):
        finance["maximum_potential_outcome_payment_v2"] = {"amount": _value(sum(caps))}
    return {
        "name": _value(program.name),
        "alternative_names": _value(program.code),
        "dates": {
            "start_date_of_service_provision": _value(program.period_start.isoformat()),
            "anticipated_end_date_of_service_provision": _value(program.period_end.isoformat()),
        },
        "overall_project_finance": finance,
        "outcome_metrics": [_metric(o) for o in found],
        "outcome_pricings": [_pricing(o.definition) for o in found],
        "results": [_result(o, program.period_start, as_of) for o in found],
        "outcome_payments": [_payment(p) for p in payments],
    }


def _value(value: Any) -> dict[str, Any]:
    return {"value": value}


def _metric(outcome: OutcomeStatus) -> dict[str, Any]:
    definition = outcome.definition
    metric = {
        "id": outcome.key,
        "definition": _value(definition.name),
        "target_population": _value(_population(definition)),
        "unit_type_of_targeted_service_users_or_beneficiaries": _value("Individual"),
        "outcome_metric_target": _value(_target(definition)),
        "outcome_validation_method": _value(VALIDATION),
        "data_source_for_outcome_validation": _value(DATA_SOURCE),
        "notes": f"Definition version {outcome.version} of outcome {outcome.key}",
    }
    if definition.cap is not None:
        metric["targeted_number_of_service_users_or_beneficiaries_total"] = _value(definition.cap)
    return metric


def _pricing(definition: Definition) -> dict[str, Any]:
    pricing: dict[str, Any] = {
        "outcome_metric_id": _value(definition.key),
        "price_per_unit": {"amount": _value(definition.price)},
    }
    if definition.cap is not None:
        pricing["maximum_price_if_all_targets_achieved"] = {
            "amount": _value(str(definition.price * definition.cap))
        }
    return pricing


def _result(outcome: OutcomeStatus, program_start: date, as_of: date) -> dict[str, Any]:
    definition = outcome.definition
    pending, achieved, failed = (outcome.count(s) for s in ("pending", "achieved", "failed"))
    closed = definition.window_to is not None and as_of > definition.window_to
    cap = "no cap" if definition.cap is None else f"cap {definition.cap}"
    return {
        "outcome_metric_id": _value(outcome.key),
        "result_level": _value("Outcome level"),
        "result_type": _value("Final" if closed and not pending else "Interim"),
        "period": {
            "start_date": _value((definition.window_from or program_start).isoformat()),
            "end_date": _value(as_of.isoformat()),
        },
        "outcomes_achieved": _value(f"{achieved} of {len(outcome.people)}: {definition.name}"),
        "number_engaged_in_impact_bond": _value(len(outcome.people)),
        "number_with_positive_social_outcomes": _value(achieved),
        "other_description_of_result": _value(
            f"On {as_of.isoformat()}: {pending} pending, {achieved} achieved, {failed} failed;"
            f" {outcome.paid} payable ({cap}), amount {outcome.amount}"
        ),
    }


def _payment(payment: Payment) -> dict[str, Any]:
    return {
        "outcome_metric_id": _value(payment.key),
        "period": {
            "start_date": _value(payment.period_start.isoformat()),
            "end_date": _value(payment.period_end.isoformat()),
        },
        "type": _value("Actual"),
        "money": {"amount": _value(payment.amount)},
        "notes": f"Claim {payment.claim_id}, accepted",
    }


def _population(definition: Definition) -> str:
    cohort = definition.cohort
    parts = [
        f"{name}: {', '.join(sorted(values))}"
        for name, values in (
            ("prior residence", cohort.prior_residence),
            ("target groups", cohort.target_groups),
        )
        if values
    ]
    return "; ".join(parts) or "everyone in the program"


def _target(definition: Definition) -> str:
    c: Mapping[str, Any] = definition.condition
    where = "".join(f" where {k} is {' or '.join(v)}" for k, v in c.get("where", {}).items())
    if c["kind"] == "occurs":
        text = f"{c['fact']}{where} occurs"
    elif c["kind"] == "sustained":
        track = " of the same track" if c.get("same_track") else ""
        text = f"no {c['without']}{track} for {c['months']} months after {c['start']}{where}"
    else:
        text = f"{c['fact']} within {c['days']} days after {c['start']}{where}, same track"
    window = " to ".join(
        d.isoformat() if d else "open" for d in (definition.window_from, definition.window_to)
    )
    return f"{text}; measured from a start in the window {window}"


def paid_by(claims: Iterable[Claim]) -> list[Payment]:
    """Per accepted claim, per outcome key (in key order), what its verified lines paid."""
    found: list[Payment] = []
    for claim in claims:
        if not claim.decision or claim.decision["verdict"] != "accepted":
            continue
        amounts: dict[str, int] = {}
        for number, line in enumerate(claim.lines, start=1):
            if claim.verdicts.get(number, {}).get("verdict") == "verified":
                amounts[line["key"]] = amounts.get(line["key"], 0) + int(line["amount"])
        found.extend(
            Payment(key, claim.id, claim.period_start, claim.period_end, amount)
            for key, amount in sorted(amounts.items())
        )
    return found


def program_claims(ledger: Ledger, program_id: UUID, known_at: datetime | None) -> list[Claim]:
    """The program's claims as known at `known_at`, in the order submitted, found by reading
    the log's submissions (no read model lists claims yet: they are few)."""
    topic, start = get_topic(Claim.Submitted), 1
    found: list[Claim] = []
    while True:
        page = ledger.recorder.select_notifications(start, CLAIMS_PAGE, topics=[topic])
        for notification in page:
            submitted: Any = ledger.mapper.to_domain_event(notification)
            if submitted.program_id != program_id:
                continue
            try:
                found.append(ledger.load_as_known(Claim, submitted.originator_id, known_at))
            except NotFoundError:  # submitted after `known_at`
                continue
        if len(page) < CLAIMS_PAGE:
            return found
        start = page[-1].id + 1
