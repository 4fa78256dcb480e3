"""A claim once submitted never changes; an assessor judges its lines, then the claim."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.base import Actor, InvalidValueError, NotFoundError
from domain.claim import Claim, ClaimDecidedError, ClaimNotJudgedError

SUPERVISOR = Actor("sv-1", "supervisor")
ASSESSOR = Actor("as-1", "assessor")
TODAY = date(2023, 3, 1)


def line(key: str = "no_return", amount: int = 150_000) -> dict[str, Any]:
    return {
        "participant_id": str(uuid.uuid4()),
        "key": key,
        "version": 1,
        "on": "2022-03-01",
        "evidence": [str(uuid.uuid4())],
        "amount": amount,
    }


def a_claim(*lines: dict[str, Any]) -> Claim:
    return Claim.submit(
        claim_id=uuid.uuid4(),
        program_id=uuid.uuid4(),
        period_start=date(2021, 1, 1),
        period_end=date(2022, 12, 31),
        known_at=datetime(2023, 2, 1, tzinfo=UTC),
        definitions={"no_return": 1, "withdrawn": 2},
        lines=list(lines),
        checkpoint={"position": 420, "hash": "ab" * 32},
        by=SUPERVISOR,
        today=TODAY,
    )


def test_an_accepted_claim_pays_its_verified_lines_only() -> None:
    claim = a_claim(line(), line(amount=100_000), line())
    assert claim.total == 400_000
    claim.judge_line(1, "verified", "", ASSESSOR, TODAY)
    claim.judge_line(2, "disputed", "the placement started outside the window", ASSESSOR, TODAY)
    claim.judge_line(3, "disputed", "admission on 2021-11-05 not considered", ASSESSOR, TODAY)
    claim.judge_line(3, "verified", "the admission was voided: recorded in error", ASSESSOR, TODAY)
    claim.decide("accepted", "lines 1 and 3 verified", ASSESSOR, TODAY)
    assert claim.decision is not None
    assert claim.decision["amount"] == 300_000
    assert claim.verdicts[3]["reason"] == "the admission was voided: recorded in error"


def test_a_rejected_claim_pays_nothing_and_its_judgement_is_closed() -> None:
    claim = a_claim(line())
    claim.judge_line(1, "verified", "", ASSESSOR, TODAY)
    claim.decide("rejected", "the checkpoint does not cover the evidence", ASSESSOR, TODAY)
    assert claim.decision is not None
    assert claim.decision["amount"] == 0
    with pytest.raises(ClaimDecidedError):
        claim.judge_line(1, "disputed", "second thoughts", ASSESSOR, TODAY)
    with pytest.raises(ClaimDecidedError):
        claim.decide("accepted", "second thoughts", ASSESSOR, TODAY)


def test_a_claim_is_decided_only_once_every_line_is_judged() -> None:
    claim = a_claim(line(), line())
    claim.judge_line(2, "verified", "", ASSESSOR, TODAY)
    with pytest.raises(ClaimNotJudgedError, match=r"\[1\]"):
        claim.decide("accepted", "all good", ASSESSOR, TODAY)


@pytest.mark.parametrize(
    ("number", "verdict", "reason", "error"),
    [
        (0, "verified", "", NotFoundError),
        (2, "verified", "", NotFoundError),
        (1, "maybe", "", InvalidValueError),
        (1, "disputed", "  ", InvalidValueError),
    ],
)
def test_a_judgement_names_a_line_a_verdict_and_why_a_dispute(
    number: int, verdict: str, reason: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        a_claim(line()).judge_line(number, verdict, reason, ASSESSOR, TODAY)


def test_a_claim_holds_only_lines_of_the_outcomes_it_names_each_with_evidence() -> None:
    with pytest.raises(InvalidValueError, match="not claimed"):
        a_claim({**line(), "version": 2})
    with pytest.raises(InvalidValueError, match="no evidence"):
        a_claim({**line(), "evidence": []})
    with pytest.raises(InvalidValueError, match="line 1 has"):
        a_claim({**line(), "note": "x"})
