"""A claim restated: line by line, what the claim said against what the ledger knows now, under
the same definitions' versions and period, with the entries recorded since that make the
difference. Outcomes the claim did not hold but the ledger now counts are listed after its lines.
The claim itself never changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pydantic import Field

from api.answers import ReadAnswer, documented
from api.bootstrap import Components
from api.claim_basis import claim_lines, outcome_facts_caught_up
from domain.claim import Claim
from domain.outcome_rules import FACTS
from domain.program import Program
from projections.model import LATEST
from projections.outcome_people import people_known_at
from projections.outcome_status import OutcomeStatus, recorded_since, statuses


class NowStatus(ReadAnswer):
    """The outcome as the ledger knows it now: its state, day, evidence, the entry that broke
    it, and what it would be claimed at."""

    state: str
    on: date | None
    evidence: list[str]
    broken_by: str | None
    amount: int


class RestatedLine(ReadAnswer):
    """A line of the claim (`line` its number; none for an outcome the claim did not hold)."""

    line: int | None
    participant_id: str
    key: str
    version: int
    claimed: dict[str, Any] | None = Field(description="on, amount and evidence as claimed")
    now: NowStatus
    changed: bool
    because: list[str] = Field(description="Entries recorded or voided since the claim")


class Restatement(ReadAnswer):
    """The claim against what the ledger knows now."""

    claim_id: str
    known_at: datetime = Field(description="The moment the claim was frozen at")
    restated_at: datetime
    lines: list[RestatedLine]
    claimed_total: int
    total_now: int

    model_config = documented(
        {
            "claim_id": "0b7d2e94-81f3-4a6c-b5d0-7e3c9a1f2d48",
            "known_at": "2023-01-15T09:00:00Z",
            "restated_at": "2023-05-02T11:30:00Z",
            "lines": [
                {
                    "line": 1,
                    "participant_id": "6f1c8a52-3d0e-4c1b-9a7e-2b5d8f0e4a11",
                    "key": "no_return",
                    "version": 1,
                    "claimed": {
                        "on": "2022-03-01",
                        "amount": 150000,
                        "evidence": ["423bded8-afd3-5631-ba75-273224e30148"],
                    },
                    "now": {
                        "state": "failed",
                        "on": "2021-11-05",
                        "evidence": ["423bded8-afd3-5631-ba75-273224e30148"],
                        "broken_by": "9d1f2a77-0c1e-5b8e-a3a4-5e6f7a8b9c0d",
                        "amount": 0,
                    },
                    "changed": True,
                    "because": ["9d1f2a77-0c1e-5b8e-a3a4-5e6f7a8b9c0d"],
                }
            ],
            "claimed_total": 150000,
            "total_now": 0,
        }
    )


def restatement(components: Components, claim: Claim) -> Restatement:
    ledger, model = components.ledger, outcome_facts_caught_up(components)
    program: Program = ledger.load(Program, claim.program_id)
    definitions = [
        (key, version, program.outcome_definitions[key][version - 1])
        for key, version in sorted(claim.definitions.items())
    ]
    period = (claim.period_start, claim.period_end)
    with model.reading() as reading:
        found = statuses(reading, claim.program_id, definitions, claim.period_end)
        now = {
            (line["key"], line["participant_id"]): line
            for status in found
            for line in claim_lines(status, period)
        }
        # A claimed record's person as linked now: a link made since may count them under
        # another record's id.
        person_now = people_known_at(reading, LATEST)
        people = {person_now(line["participant_id"]) for line in claim.lines} | {p for _, p in now}
        since = recorded_since(reading, claim.program_id, sorted(people), claim.known_at, period[1])
    by_key = {status.key: status for status in found}
    lines = [
        _restated(n, line, by_key, now, since, person_now(line["participant_id"]))
        for n, line in enumerate(claim.lines, start=1)
    ]
    claimed = {(line["key"], person_now(line["participant_id"])) for line in claim.lines}
    lines += [
        _restated(None, line, by_key, now, since, line["participant_id"])
        for key, line in sorted(now.items())
        if key not in claimed
    ]
    return Restatement(
        claim_id=str(claim.id),
        known_at=claim.known_at,
        restated_at=datetime.now(UTC),
        lines=lines,
        claimed_total=claim.total,
        total_now=sum(line["amount"] for line in now.values()),
    )


def _restated(
    number: int | None,
    line: dict[str, Any],
    by_key: dict[str, OutcomeStatus],
    now: dict[tuple[str, str], dict[str, Any]],
    since: dict[str, list[tuple[str, str]]],
    person: str,
) -> RestatedLine:
    """A line restated; `person` is whom its record counts as now."""
    key = line["key"]
    status = by_key[key].people.get(person)
    current = now.get((key, person))
    claimed = None if number is None else {k: line[k] for k in ("on", "amount", "evidence")}
    changed = (
        claimed is None
        or current is None
        or any(current[k] != claimed[k] for k in ("on", "amount", "evidence"))
    )
    condition = by_key[key].definition.condition
    relevant = {condition.get(name) for name in ("start", "without", "fact")} & set(FACTS)
    return RestatedLine(
        line=number,
        participant_id=line["participant_id"],
        key=key,
        version=line["version"],
        claimed=claimed,
        now=NowStatus(
            state=status.state if status else "not_in_cohort",
            on=status.on if status else None,
            evidence=list(status.evidence) if status else [],
            broken_by=status.broken_by if status else None,
            amount=current["amount"] if current else 0,
        ),
        changed=changed,
        because=[e for e, kind in since.get(person, []) if kind in relevant] if changed else [],
    )
