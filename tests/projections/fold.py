"""A direct fold over the log: what each read model should answer, computed in plain Python.

Written apart from the read models on purpose: it is the oracle the property test compares them to.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from domain.episode import Episode
from domain.facility import Facility
from domain.participant import Participant
from domain.program import Program
from domain.tracks import entry_id

CONSULTING = {"psychologist", "lawyer", "doctor"}
SKILLS = {"household_skills", "workshop"}


def eid(event: Any) -> str:
    return str(entry_id(event.originator_id, event.originator_version))


def voided_ids(events: list[Any]) -> set[str]:
    return {
        str(e.event_id)
        for e in events
        if isinstance(e, (Episode.EntryVoided, Participant.EntryVoided))
    }


def one_person(events: list[Any]) -> dict[str, str]:
    """record -> the smallest id of the records linked with it, by the links standing now."""
    links: set[frozenset[str]] = set()
    for e in events:
        if isinstance(e, Participant.Linked):
            links.add(frozenset((str(e.originator_id), str(e.other_id))))
        elif isinstance(e, Participant.Unlinked):
            links.discard(frozenset((str(e.originator_id), str(e.other_id))))
    groups: list[set[str]] = []
    for pair in links:
        touching = [g for g in groups if g & pair]
        merged = set(pair).union(*touching)
        groups = [g for g in groups if g not in touching] + [merged]
    return {record: min(group) for group in groups for record in group}


def people_by_record(events: list[Any]) -> dict[str, str]:
    """Each participant record -> its person: the least id among records linked to it."""
    links: set[frozenset[str]] = set()
    for e in events:
        pair = frozenset((str(e.originator_id), str(getattr(e, "other_id", ""))))
        if isinstance(e, Participant.Linked):
            links.add(pair)
        elif isinstance(e, Participant.Unlinked):
            links.discard(pair)
    person: dict[str, str] = {}
    for pair in links:
        for record in pair:
            group, grown = {record}, True
            while grown:  # plain closure, no union-find: the oracle is written apart
                found = {r for p in links if p & group for r in p}
                grown, group = not found <= group, group | found
            person[record] = min(group)
    return person


def services(events: list[Any]) -> dict[tuple[str, str, str], tuple[int, int, int]]:
    """(kind, settlement, month) -> (services, quantity, distinct people)."""
    voided = voided_ids(events)
    person = people_by_record(events)
    participants = {
        str(e.originator_id): str(e.participant_id) for e in events if isinstance(e, Episode.Opened)
    }
    totals: dict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [0, 0, set()])
    for e in events:
        if isinstance(e, Episode.ServiceDelivered) and eid(e) not in voided:
            cell = totals[(e.kind, e.settlement, e.occurred_on.isoformat()[:7])]
            cell[0] += 1
            cell[1] += e.quantity
            record = participants[str(e.originator_id)]
            cell[2].add(person.get(record, record))
    return {key: (n, q, len(who)) for key, (n, q, who) in totals.items()}


def occupancy(events: list[Any], day: date) -> dict[str, tuple[int, list[tuple[int, str]]]]:
    """facility -> (capacity on the day, [(bed, episode)] held that night)."""
    capacity: dict[str, list[tuple[date, int]]] = defaultdict(list)
    stays: dict[str, dict[str, Any]] = {}
    for e in events:
        facility = str(e.originator_id)
        if isinstance(e, (Facility.Registered, Facility.CapacityChanged)):
            capacity[facility].append((e.occurred_on, e.capacity))
        elif isinstance(e, Facility.BedAssigned):
            stays[str(e.placement_id)] = {
                "f": facility,
                "bed": e.bed,
                "ep": str(e.episode_id),
                "start": e.occurred_on,
                "end": None,
            }
        elif isinstance(e, Facility.BedReleased):
            stays[str(e.placement_id)]["end"] = e.occurred_on
    answer = {}
    for facility, changes in capacity.items():
        beds = [n for since, n in changes if since <= day]
        held = sorted(
            (s["bed"], s["ep"])
            for s in stays.values()
            if s["f"] == facility and s["start"] <= day and (s["end"] is None or day < s["end"])
        )
        answer[facility] = (beds[-1] if beds else 0, held)
    return answer


def caseloads(
    events: list[Any], as_of: date
) -> dict[str, tuple[list[tuple[str, date]], set[tuple[str, str | None]]]]:
    """caseworker -> ([(episode open on as_of, last contact)], {(overdue kind, item)}): only
    what was effective by `as_of` counts, and a voided entry never happened."""
    voided = voided_ids(events)
    limits = {
        str(e.originator_id): e.course_start_limit_days
        for e in events
        if isinstance(e, Program.Defined)
    }
    episodes: dict[str, dict[str, Any]] = {}
    for e in events:
        ep = str(e.originator_id)
        if not isinstance(e, Episode.Event) or e.occurred_on > as_of:
            continue
        if isinstance(e, Episode.Opened):
            episodes[ep] = {
                "cw": [(e.occurred_on, e.caseworker)],
                "program": str(e.program_id),
                "opened": e.occurred_on,
                "closed": None,
                "last": e.occurred_on,
                "tracks": {},
                "final": False,
            }
        elif isinstance(e, Episode.CaseworkerAssigned):
            episodes[ep]["cw"].append((e.occurred_on, e.caseworker))
        elif isinstance(e, Episode.Closed):
            episodes[ep]["closed"] = e.occurred_on
        elif isinstance(e, Episode.EntryVoided) or eid(e) in voided or ep not in episodes:
            continue
        else:
            record = episodes[ep]
            record["last"] = max(record["last"], e.occurred_on)
            if isinstance(e, Episode.AssessmentRecorded) and e.stage == "final":
                record["final"] = True
            for attribute, kind in (
                ("course_id", "course"),
                ("referral_id", "referral"),
                ("placement_id", "placement"),
                ("job_id", "job"),
            ):
                if hasattr(e, attribute):
                    track = record["tracks"].setdefault(
                        str(getattr(e, attribute)), [kind, e.occurred_on, None]
                    )
                    track[2] = type(e).__name__
    answer: dict[str, tuple[list[tuple[str, date]], set[tuple[str, str | None]]]] = defaultdict(
        lambda: ([], set())
    )
    for ep, record in episodes.items():
        # sorted() is stable: of two assignments on one day the later recorded wins
        mine = answer[sorted(record["cw"], key=lambda a: a[0])[-1][1]]
        if record["closed"] is not None:
            if not record["final"]:
                mine[1].add(("final_monitoring_missing", None))
            continue
        mine[0].append((ep, record["last"]))
        for track, (_kind, first_on, latest) in record["tracks"].items():
            if (
                latest == "CourseRequested"
                and first_on + timedelta(days=limits[record["program"]]) < as_of
            ):
                mine[1].add(("course_not_started", track))
            if latest == "ReferralMade" and first_on + timedelta(days=10) < as_of:
                mine[1].add(("referral_unanswered", track))
    return dict(answer)


def outcomes(
    events: list[Any], program: str, start: date, end: date
) -> dict[str, dict[str, set[str]]]:
    """indicator -> participant -> ids of the proving events."""
    voided = voided_ids(events)
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    episodes: dict[str, dict[str, Any]] = {}
    tracks: dict[str, Any] = {}
    limit = next(e.course_start_limit_days for e in events if isinstance(e, Program.Defined))
    in_period = lambda day: start <= day <= end  # noqa: E731
    participant_facts = []
    assigned: dict[str, date] = {}
    person = one_person(events)
    for e in events:
        ep = str(e.originator_id)
        if isinstance(e, Program.ServiceAdded) and str(e.originator_id) == program:
            if in_period(e.occurred_on):
                found["new_services"][program].add(eid(e))
            continue
        if isinstance(e, Episode.Opened):
            episodes[ep] = {
                "p": str(e.participant_id),
                "program": str(e.program_id),
                "opened": e.occurred_on,
                "closed": None,
                "proof": eid(e),
            }
            continue
        if isinstance(e, Episode.Closed):
            episodes[ep]["closed"] = e.occurred_on
            continue
        if isinstance(
            e, (Participant.InstitutionalApplicationWithdrawn, Participant.InstitutionalAdmission)
        ):
            if eid(e) not in voided:
                participant_facts.append(e)
            continue
        if isinstance(e, Episode.ReferralMade):
            tracks[str(e.referral_id)] = e.specialist
        if isinstance(e, Episode.CourseRequested):
            tracks[str(e.course_id)] = e.occurred_on
        if (
            not isinstance(e, Episode.Event)
            or eid(e) in voided
            or episodes.get(ep, {}).get("program") != program
        ):
            continue
        who = episodes[ep]["p"]
        if isinstance(e, Episode.MentorAssigned) and in_period(e.occurred_on):
            mentor = (
                f"staff:{e.mentor_staff}"
                if e.mentor_participant_id is None
                else str(e.mentor_participant_id)
            )
            found["mentors"][mentor].add(eid(e))
            if e.mentor_participant_id is not None:
                assigned[mentor] = max(assigned.get(mentor, e.occurred_on), e.occurred_on)
            continue
        if isinstance(e, Episode.ServiceDelivered) and in_period(e.occurred_on):
            found["services_delivered"][who].add(eid(e))
            if e.kind in SKILLS:
                found["skill_events"][who].add(eid(e))
        indicator = None
        if isinstance(e, Episode.PlacementStarted):
            indicator = "housed"
        elif isinstance(e, Episode.CourseCompleted):
            indicator = "trained"
        elif isinstance(e, Episode.JobStarted):
            indicator = "employed"
            if in_period(e.occurred_on):
                found[f"employed_{e.employment}"][who].add(eid(e))
        elif (isinstance(e, Episode.ServiceDelivered) and e.kind.startswith("consultation_")) or (
            isinstance(e, Episode.ReferralCompleted) and tracks[str(e.referral_id)] in CONSULTING
        ):
            indicator = "consulted"
        elif (
            isinstance(e, Episode.CourseEnrolled)
            and (e.occurred_on - tracks[str(e.course_id)]).days <= limit
        ):
            indicator = "course_started_within_limit"
        if indicator and in_period(e.occurred_on):
            found[indicator][who].add(eid(e))
    for record in episodes.values():
        if (
            record["program"] == program
            and record["opened"] <= end
            and (record["closed"] is None or record["closed"] >= start)
        ):
            found["served"][record["p"]].add(record["proof"])
    for e in participant_facts:
        who = str(e.originator_id)
        active = any(
            person.get(r["p"], r["p"]) == person.get(who, who)
            and r["program"] == program
            and r["opened"] <= e.occurred_on
            and (r["closed"] is None or r["closed"] >= e.occurred_on)
            for r in episodes.values()
        )
        if active and in_period(e.occurred_on):
            withdrawn = isinstance(e, Participant.InstitutionalApplicationWithdrawn)
            found["applications_withdrawn" if withdrawn else "returned_to_institution"][who].add(
                eid(e)
            )
    for indicator in list(found):
        merged: dict[str, set[str]] = defaultdict(set)
        for who, proofs in found[indicator].items():
            merged[person.get(who, who)] |= proofs
        found[indicator] = merged
    for mentor, last in assigned.items():
        canonical = person.get(mentor, mentor)
        opened = sorted(
            (r["opened"], r["proof"])
            for r in episodes.values()
            if person.get(r["p"], r["p"]) == canonical and r["opened"] <= last
        )
        if opened:
            found["mentors_once_participants"][canonical] |= {
                opened[0][1],
                *found["mentors"][canonical],
            }
    found["no_return_to_institution"] = defaultdict(
        set,
        {
            who: proofs
            for who, proofs in found["served"].items()
            if who not in found["returned_to_institution"]
        },
    )
    residence = {
        str(e.originator_id): (e.prior_residence, set(e.target_groups))
        for e in events
        if isinstance(e, Participant.Registered)
    }
    cohorts = {
        e.indicator: (e.prior_residence, e.target_groups)
        for e in events
        if isinstance(e, Program.CohortDefined) and str(e.originator_id) == program
    }
    for indicator, (places, groups) in cohorts.items():
        if indicator == "new_services":
            continue

        def takes(who: str, places: list[str] = places, groups: list[str] = groups) -> bool:
            records = [r for r in residence if person.get(r, r) == who] or [who]
            return any(
                (not places or residence.get(r, ("", set()))[0] in places)
                and (not groups or bool(residence.get(r, ("", set()))[1] & set(groups)))
                for r in records
            )

        found[indicator] = defaultdict(
            set, {who: proofs for who, proofs in found[indicator].items() if takes(who)}
        )
    return {indicator: dict(by_participant) for indicator, by_participant in found.items()}


def directory(events: list[Any]) -> dict[str, Any]:
    """Programs by code, facilities by id, episodes in the order opened, and filtered lists."""
    programs = sorted(
        (
            (str(e.originator_id), e.code, e.course_start_limit_days)
            for e in events
            if isinstance(e, Program.Defined)
        ),
        key=lambda p: p[1].lower(),
    )
    facilities = sorted(
        (
            str(e.originator_id),
            e.name,
            e.kind,
            e.settlement,
            tuple(sorted(str(p) for p in e.programs)),
        )
        for e in events
        if isinstance(e, Facility.Registered)
    )
    episodes: dict[str, list[Any]] = {}
    for e in events:
        ep = str(e.originator_id)
        if isinstance(e, Episode.Opened):
            episodes[ep] = [
                ep,
                str(e.program_id),
                str(e.participant_id),
                e.caseworker,
                e.occurred_on,
                None,
            ]
        elif isinstance(e, Episode.CaseworkerAssigned):
            episodes[ep][3] = e.caseworker
        elif isinstance(e, Episode.Closed):
            episodes[ep][5] = e.occurred_on
    rows = [tuple(row) for row in episodes.values()]
    return {
        "programs": programs,
        "facilities": facilities,
        "episodes": rows,
        "open": [row for row in rows if row[5] is None],
        "closed_of_cw-8": [row for row in rows if row[5] is not None and row[3] == "cw-8"],
    }
