"""The outcomes read model's report: indicator counts for a program and period, with evidence.

Reads the tables `projections/outcomes.py` writes. Each counted participant comes with the ids of
the events that prove it, so an assessor can replay exactly those.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.vocabulary import Indicator
from projections.model import LATEST, Reading, recorded_at

RETURNED = "returned_to_institution"
# Indicators the report answers, in this order (employment also split by kind).
REPORTED = (
    Indicator.SERVED,
    Indicator.HOUSED,
    Indicator.CONSULTED,
    Indicator.TRAINED,
    Indicator.EMPLOYED,
    "employed_open_market",
    "employed_supported_workshop",
    Indicator.APPLICATIONS_WITHDRAWN,
    RETURNED,
    Indicator.NO_RETURN_TO_INSTITUTION,
    Indicator.COURSE_STARTED_WITHIN_LIMIT,
)


@dataclass(frozen=True)
class IndicatorCount:
    """How many participants an indicator counts, its target, and the proof for each one."""

    indicator: str
    count: int
    target: int | None
    evidence: dict[str, list[str]]  # participant id -> ids of the events that prove it


@dataclass(frozen=True)
class OutcomeReport:
    """A program's indicator counts over a period, for one target group or for all."""

    program_id: str
    start: date
    end: date
    target_group: str | None
    indicators: list[IndicatorCount]

    def count(self, indicator: str) -> int:
        return next(i.count for i in self.indicators if i.indicator == indicator)


def report(
    reading: Reading,
    program_id: UUID,
    start: date,
    end: date,
    target_group: str | None = None,
    known_at: datetime | None = None,
) -> OutcomeReport:
    """Indicator counts for episodes and facts effective in [start, end], as known at
    `known_at`: whatever was recorded later (back-dated or not, a voiding too) is left out."""
    program, period = str(program_id), (start.isoformat(), end.isoformat())
    known = recorded_at(known_at) if known_at else LATEST
    targets_rows = reading.tx.execute(
        f"SELECT targets FROM {reading.t('targets')} WHERE program_id = ? AND recorded_at <= ?"
        " ORDER BY position DESC LIMIT 1",
        (program, known),
    )
    if not targets_rows:
        raise LookupError(f"no program {program_id} known at {known}")
    targets: dict[str, int] = json.loads(targets_rows[0][0])
    group_join, group_args = "", []
    if target_group is not None:
        group_join = (
            f" JOIN {reading.t('participants')} g ON g.participant_id = x.participant_id"
            " AND g.target_groups LIKE ?"
        )
        group_args = [f"%,{target_group},%"]
    episodes = reading.t("episodes")
    # An episode is open on a day unless a closure before that day was known at the moment.
    open_on = "({e}.closed_on IS NULL OR {e}.closed_at > ? OR {e}.closed_on >= {day})"
    served = reading.tx.execute(
        f"SELECT x.participant_id, x.opened_entry FROM {episodes} x{group_join}"
        " WHERE x.program_id = ? AND x.opened_on <= ? AND x.opened_at <= ?"
        f" AND {open_on.format(e='x', day='?')} ORDER BY x.participant_id, x.episode_id",
        (*group_args, program, period[1], known, known, period[0]),
    )
    facts = reading.tx.execute(
        "SELECT x.indicator, x.detail, x.participant_id, x.entry_id"
        f" FROM {reading.t('facts')} x{group_join}"
        " WHERE x.recorded_at <= ? AND (x.voided_at IS NULL OR x.voided_at > ?)"
        " AND x.occurred_on >= ? AND x.occurred_on <= ? AND ("
        " x.program_id = ? OR (x.program_id IS NULL AND EXISTS ("
        f"  SELECT 1 FROM {episodes} e WHERE e.participant_id = x.participant_id"
        "   AND e.program_id = ? AND e.opened_on <= x.occurred_on AND e.opened_at <= ?"
        f"   AND {open_on.format(e='e', day='x.occurred_on')})))"
        " ORDER BY x.position",
        (*group_args, known, known, *period, program, program, known, known),
    )
    evidence: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for participant, opened_entry in served:
        evidence[Indicator.SERVED][participant].append(opened_entry)
    for indicator, detail, participant, proof in facts:
        evidence[indicator][participant].append(proof)
        if indicator == Indicator.EMPLOYED:
            evidence[f"employed_{detail}"][participant].append(proof)
    returned = evidence[RETURNED]
    evidence[Indicator.NO_RETURN_TO_INSTITUTION] = defaultdict(
        list,
        {
            participant: proofs
            for participant, proofs in evidence[Indicator.SERVED].items()
            if participant not in returned
        },
    )
    return OutcomeReport(
        program,
        start,
        end,
        target_group,
        [
            IndicatorCount(str(i), len(evidence[i]), targets.get(str(i)), dict(evidence[i]))
            for i in REPORTED
        ],
    )
