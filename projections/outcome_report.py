"""The outcomes read model's report: indicator counts for a program and period, with evidence.

Reads the tables `projections/outcomes.py` writes. Each counted participant comes with the ids of
the events that prove it, so an assessor can replay exactly those. Records linked as one person
count once, under the smallest id of the group; an indicator with a cohort counts only on it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.catalogue import indicator_of
from domain.vocabulary import Indicator
from projections.model import LATEST, Reading, recorded_at
from projections.outcome_people import (
    STAFF,
    Cohort,
    People,
    cohort_test,
    cohorts_known_at,
    in_chunks,
    people_known_at,
)

RETURNED = "returned_to_institution"
MENTORS_ONCE_PARTICIPANTS = "mentors_once_participants"
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
    Indicator.MENTORS,
    MENTORS_ONCE_PARTICIPANTS,
    Indicator.NEW_SERVICES,
    Indicator.SKILL_EVENTS,
    Indicator.SERVICES_DELIVERED,
)
# Counted by entries, not people: skill events held, services added; services by quantity.
BY_ENTRIES = (Indicator.SKILL_EVENTS, Indicator.NEW_SERVICES)
# Indicators the report derives on their own, which no delivered service feeds.
NOT_FED = (
    Indicator.SERVED,
    Indicator.NO_RETURN_TO_INSTITUTION,
    Indicator.MENTORS,
    Indicator.NEW_SERVICES,
    Indicator.SERVICES_DELIVERED,
)


@dataclass(frozen=True)
class IndicatorCount:
    """How many participants an indicator counts, its target, and the proof for each one."""

    indicator: str
    count: int
    target: int | None
    # person (participant id, "staff:<subject>" for a mentor on staff, the program's id for
    # new services) -> ids of the events that prove it
    evidence: dict[str, list[str]]
    cohort: Cohort | None = None  # whom it is counted on, if not everyone served
    cohort_size: int | None = None  # how many served in the period fall in that cohort


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
    `known_at`: whatever was recorded later (back-dated or not, a voiding, a link) is left out."""
    program, period = str(program_id), (start.isoformat(), end.isoformat())
    known = recorded_at(known_at) if known_at else LATEST
    tx, t = reading.tx, reading.t
    targets_rows = tx.execute(
        f"SELECT targets FROM {t('targets')} WHERE program_id = ? AND recorded_at <= ?"
        " ORDER BY position DESC LIMIT 1",
        (program, known),
    )
    if not targets_rows:
        raise LookupError(f"no program {program_id} known at {known}")
    targets: dict[str, int] = json.loads(targets_rows[0][0])
    people = people_known_at(reading, known)
    group_join, group_args = "", []
    if target_group is not None:
        group_join = (
            f" JOIN {t('participants')} g ON g.participant_id = x.participant_id"
            " AND g.target_groups LIKE ?"
        )
        group_args = [f"%,{target_group},%"]
    # An episode is open on a day unless a closure before that day was known at the moment.
    open_on = "({e}.closed_on IS NULL OR {e}.closed_at > ? OR {e}.closed_on >= {day})"
    served = tx.execute(
        f"SELECT x.participant_id, x.opened_entry FROM {t('episodes')} x{group_join}"
        " WHERE x.program_id = ? AND x.opened_on <= ? AND x.opened_at <= ?"
        f" AND {open_on.format(e='x', day='?')} ORDER BY x.participant_id, x.episode_id",
        (*group_args, program, period[1], known, known, period[0]),
    )
    facts = tx.execute(
        "SELECT x.indicator, x.detail, x.participant_id, x.entry_id, x.quantity,"
        f" x.occurred_on, x.program_id FROM {t('facts')} x{group_join}"
        " WHERE x.recorded_at <= ? AND (x.voided_at IS NULL OR x.voided_at > ?)"
        " AND x.occurred_on >= ? AND x.occurred_on <= ?"
        " AND (x.program_id = ? OR x.program_id IS NULL) ORDER BY x.position",
        (*group_args, known, known, *period, program),
    )
    in_program = _in_program(reading, people, program, known)
    catalogue = tx.execute(
        f"SELECT kind, indicator, entry_id, occurred_on FROM {t('catalogue')}"
        " WHERE program_id = ? AND recorded_at <= ? ORDER BY position",
        (program, known),
    )
    offered = {str(kind): {"indicator": indicator} for kind, indicator, _, _ in catalogue}
    evidence, quantities, assigned = _tally(served, facts, people, in_program, offered)
    returned = evidence[RETURNED]
    evidence[Indicator.NO_RETURN_TO_INSTITUTION] = defaultdict(
        list,
        {who: proofs for who, proofs in evidence[Indicator.SERVED].items() if who not in returned},
    )
    once = _once_participants(reading, people, assigned, known)
    evidence[MENTORS_ONCE_PARTICIPANTS] = defaultdict(
        list,
        {m: [once[m], *proofs] for m, proofs in evidence[Indicator.MENTORS].items() if m in once},
    )
    added = [str(entry) for _, _, entry, day in catalogue if period[0] <= day <= period[1]]
    if added:
        evidence[Indicator.NEW_SERVICES][program] = added
    counts = [
        _counted(str(i), targets.get(str(i)), dict(evidence[i]), quantities) for i in REPORTED
    ]
    cohorts = {i: c for i, c in cohorts_known_at(reading, program, known).items() if i in REPORTED}
    cohorts.pop(Indicator.NEW_SERVICES, None)  # counts the program's services, nobody's
    if cohorts:
        persons = {p for c in counts if c.indicator in cohorts for p in c.evidence}
        takes = cohort_test(reading, people, persons | set(evidence[Indicator.SERVED]))
        counts = [
            _on_cohort(c, cohorts[c.indicator], evidence[Indicator.SERVED], takes, quantities)
            if c.indicator in cohorts
            else c
            for c in counts
        ]
    return OutcomeReport(program, start, end, target_group, counts)


def _tally(
    served: list[tuple[Any, ...]],
    facts: list[tuple[Any, ...]],
    people: People,
    in_program: Callable[[str, str], bool],
    offered: Mapping[str, Mapping[str, str | None]],
) -> tuple[dict[str, dict[str, list[str]]], dict[str, int], dict[str, str]]:
    """Evidence per indicator and person, each delivery's quantity, and the last day each
    mentor who is a participant was assigned."""
    evidence: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    quantities: dict[str, int] = {}
    assigned: dict[str, str] = {}  # a mentor who is a participant -> the last day assigned
    feeds: dict[str, str | None] = {}  # kind -> the indicator its deliveries feed
    for participant, opened_entry in served:
        evidence[Indicator.SERVED][people(participant)].append(opened_entry)
    for indicator, detail, participant, proof, quantity, occurred_on, fact_program in facts:
        who = people(participant)
        if fact_program is None and not in_program(who, occurred_on):
            continue  # a fact of the person, while in no episode of this program
        if indicator == Indicator.MENTORS:
            mentor = detail if detail.startswith(STAFF) else people(detail)
            evidence[indicator][mentor].append(proof)
            if not detail.startswith(STAFF):
                assigned[mentor] = max(assigned.get(mentor, ""), occurred_on)
            continue
        evidence[indicator][who].append(proof)
        if indicator == Indicator.EMPLOYED:
            evidence[f"employed_{detail}"][who].append(proof)
        if indicator == Indicator.SERVICES_DELIVERED:
            quantities[proof] = quantity
            if detail not in feeds:
                feeds[detail] = indicator_of(detail, offered)
            fed = feeds[detail]
            if fed is not None and fed not in NOT_FED:
                evidence[fed][who].append(proof)
    return evidence, quantities, assigned


def _counted(
    indicator: str,
    target: int | None,
    evidence: dict[str, list[str]],
    quantities: Mapping[str, int],
    cohort: Cohort | None = None,
    cohort_size: int | None = None,
) -> IndicatorCount:
    if indicator == Indicator.SERVICES_DELIVERED:
        count = sum(quantities[proof] for proofs in evidence.values() for proof in proofs)
    elif indicator in BY_ENTRIES:
        count = sum(len(proofs) for proofs in evidence.values())
    else:
        count = len(evidence)
    return IndicatorCount(indicator, count, target, evidence, cohort, cohort_size)


def _on_cohort(
    counted: IndicatorCount,
    cohort: Cohort,
    served: Mapping[str, list[str]],
    takes: Callable[[Cohort, str], bool],
    quantities: Mapping[str, int],
) -> IndicatorCount:
    """The indicator counted only on the people of its cohort, and how many were served."""
    evidence = {who: proofs for who, proofs in counted.evidence.items() if takes(cohort, who)}
    size = sum(1 for who in served if takes(cohort, who))
    return _counted(counted.indicator, counted.target, evidence, quantities, cohort, size)


def _in_program(
    reading: Reading, people: People, program: str, known: str
) -> Callable[[str, str], bool]:
    """Whether a person (any record of theirs) was in an episode of the program on a day."""
    spans: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for participant, opened_on, closed_on, closed_at in reading.tx.execute(
        f"SELECT participant_id, opened_on, closed_on, closed_at FROM {reading.t('episodes')}"
        " WHERE program_id = ? AND opened_at <= ?",
        (program, known),
    ):
        closed = closed_on if closed_at is not None and closed_at <= known else None
        spans[people(participant)].append((opened_on, closed))

    def in_program(person: str, day: str) -> bool:
        return any(
            opened <= day and (closed is None or closed >= day) for opened, closed in spans[person]
        )

    return in_program


def _once_participants(
    reading: Reading, people: People, assigned: Mapping[str, str], known: str
) -> dict[str, str]:
    """mentor -> the opening of their first episode (any program, any record of theirs), for
    the mentors who had one opened by the last day they were assigned in the period."""
    query = (
        f"SELECT participant_id, opened_on, opened_entry FROM {reading.t('episodes')}"
        " WHERE participant_id IN ({ids}) AND opened_at <= ?"
    )
    first: dict[str, tuple[str, str]] = {}
    for record, opened_on, opened_entry in in_chunks(
        reading, query, people.records(assigned), (known,)
    ):
        mentor, opening = people(str(record)), (str(opened_on), str(opened_entry))
        if opening[0] <= assigned[mentor] and (mentor not in first or opening < first[mentor]):
            first[mentor] = opening
    return {mentor: entry for mentor, (_, entry) in first.items()}
