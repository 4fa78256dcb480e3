"""Random valid episodes: live read models, a rebuild from scratch and a fold over the log agree."""

from __future__ import annotations

import contextlib
import tempfile
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.base import DomainError
from domain.episode import Episode
from domain.ledger import Ledger
from domain.participant import Participant
from domain.tracks import entry_id
from projections.caseloads import Caseloads
from projections.directory import Directory, EpisodeFilter
from projections.follower import Follower
from projections.occupancy import Occupancy
from projections.outcome_facts import OutcomeFacts
from projections.outcomes import Outcomes
from projections.rebuild import rebuild
from projections.services import Services
from tests.conftest_stores import TODAY
from tests.integration.scenario import ADMIN, CASEWORKER, a_facility, a_world, an_episode
from tests.projections import admin_commands, fold
from tests.projections.conftest import Stores, open_stores

YEAR = (date(2024, 1, 1), date(2024, 12, 31))
DAYS = [date(2024, 3, 1) + timedelta(days=n) for n in range(0, 90, 3)]
# Caseloads are effective on a day: today, and days before later entries, closures, reassignments.
CASELOAD_DAYS = (TODAY, DAYS[10], DAYS[20], DAYS[-1] - timedelta(days=1))
MODELS = (Caseloads, Directory, Occupancy, OutcomeFacts, Outcomes, Services)

day = st.sampled_from(DAYS)
pick = st.integers(0, 50)
operation = st.one_of(
    st.tuples(
        st.just("service"),
        pick,
        st.sampled_from(["home_care", "transport", "consultation_lawyer", "household_skills"]),
        st.sampled_from(["Bredy", "Kizilskoe"]),
        st.integers(1, 3),
        day,
    ),
    st.tuples(st.just("placement"), pick, pick, day),
    st.tuples(st.just("end_placement"), pick, day),
    st.tuples(st.just("course"), pick, day),
    st.tuples(
        st.just("advance_course"), pick, st.sampled_from(["enrolled", "completed", "dropped"]), day
    ),
    st.tuples(
        st.just("referral"), pick, st.sampled_from(["doctor", "lawyer", "housing_provider"]), day
    ),
    st.tuples(st.just("answer"), pick, st.sampled_from(["accepted", "declined", "completed"]), day),
    st.tuples(st.just("job"), pick, st.sampled_from(["open_market", "supported_workshop"]), day),
    st.tuples(st.just("final_assessment"), pick, day),
    st.tuples(st.just("void_latest"), pick),
    st.tuples(st.just("institution"), pick, st.booleans(), day),
    st.tuples(st.just("void_institution"), pick),
    st.tuples(st.just("reassign"), pick, st.sampled_from(["cw-7", "cw-8"])),
    st.tuples(st.just("close"), pick, day),
    st.tuples(st.just("wrap_up"), pick, st.booleans()),
    st.tuples(st.just("catch_up"), st.integers(1, 7)),
    st.tuples(st.just("mentor"), pick, st.one_of(pick, st.sampled_from(["v-1", "v-2"])), day),
    st.tuples(st.just("link"), pick, pick, st.booleans()),
    st.tuples(st.just("void_person"), pick),
    st.tuples(st.just("add_service"), pick, st.sampled_from(["club", "hotel_food"]), day),
    st.tuples(
        st.just("cohort"),
        pick,
        st.sampled_from(["served", "mentors", "skill_events", "no_return_to_institution"]),
        st.sampled_from([[], ["orphan_care"], ["prison", "street"]]),
    ),
)


class Run:
    """Applies random operations to a small world; refused commands are part of the game."""

    def __init__(self, stores: Stores) -> None:
        self.stores = stores
        ledger = stores.ledger
        world = a_world(ledger, capacity=2)
        self.program = world.program
        self.episodes = [world.episode] + [an_episode(ledger, world.program) for _ in range(3)]
        self.facilities = [world.facility, a_facility(ledger, capacity=1)]
        ledger.register_facility(  # one that serves the program (the others serve every one)
            ADMIN,
            kind="training_apartment",
            name="Flat",
            settlement="Bredy",
            capacity=2,
            occurred_on=DAYS[0],
            programs=[self.program],
        )
        self.items: dict[str, list[Any]] = {"placement": [], "course": [], "referral": []}
        self.live = {model.name: model(stores.read) for model in MODELS}
        for model in self.live.values():
            model.create_tables()

    def apply(self, op: tuple[Any, ...]) -> None:
        ledger, kind = self.stores.ledger, op[0]
        if kind == "catch_up":
            for model in self.live.values():
                Follower(ledger, model, batch_size=op[1]).catch_up()
            return
        ep = self.episodes[op[1] % len(self.episodes)]
        with contextlib.suppress(DomainError):
            self._command(ledger, kind, ep, op)

    def _command(self, ledger: Ledger, kind: str, ep: Any, op: tuple[Any, ...]) -> None:
        if kind == "service":
            ledger.deliver_service(
                CASEWORKER, ep, kind=op[2], quantity=op[4], settlement=op[3], occurred_on=op[5]
            )
        elif kind == "placement":
            facility = self.facilities[op[2] % 2]
            self.items["placement"].append(
                (
                    ep,
                    ledger.start_placement(
                        CASEWORKER, ep, facility_id=facility, occurred_on=op[3]
                    ).id,
                )
            )
        elif kind == "course":
            course = ledger.request_course(
                CASEWORKER, ep, title="Cook", hours=16, course_format="mixed", occurred_on=op[2]
            )
            self.items["course"].append((ep, course.id))
        elif kind == "referral":
            self.items["referral"].append(
                (ep, ledger.make_referral(CASEWORKER, ep, specialist=op[2], occurred_on=op[3]).id)
            )
        elif kind in ("end_placement", "advance_course", "answer"):
            bucket = {
                "end_placement": "placement",
                "advance_course": "course",
                "answer": "referral",
            }[kind]
            if not self.items[bucket]:
                return
            owner, item = self.items[bucket][op[1] % len(self.items[bucket])]
            if kind == "end_placement":
                ledger.end_placement(
                    CASEWORKER, owner, item, destination="own_home", occurred_on=op[2]
                )
            elif kind == "advance_course":
                ledger.advance_course(
                    CASEWORKER, owner, item, to=op[2], reason="r", occurred_on=op[3]
                )
            else:
                ledger.answer_referral(
                    CASEWORKER, owner, item, answer=op[2], reason="r", occurred_on=op[3]
                )
        elif kind == "job":
            ledger.start_job(
                CASEWORKER, ep, employment=op[2], occupation="cleaner", occurred_on=op[3]
            )
        elif kind == "final_assessment":
            ledger.record_assessment(
                CASEWORKER, ep, stage="final", instrument="SRS", scores={}, occurred_on=op[2]
            )
        elif kind == "void_latest":
            version = ledger.load(Episode, ep).version
            ledger.void_entry(CASEWORKER, ep, entry_id(ep, version), reason="error")
        elif kind == "institution":
            participant = ledger.load(Episode, ep).participant_id
            record = (
                ledger.withdraw_institutional_application
                if op[2]
                else ledger.record_institutional_admission
            )
            record(CASEWORKER, participant, institution_kind="nursing_home", occurred_on=op[3])
        elif kind == "void_institution":
            participant = ledger.load(Episode, ep).participant_id
            version = ledger.load(Participant, participant).version
            ledger.void_participant_entry(
                CASEWORKER, participant, entry_id(participant, version), reason="error"
            )
        elif kind == "reassign":
            ledger.assign_caseworker(CASEWORKER, ep, caseworker=op[2], occurred_on=DAYS[-1])
        elif kind == "wrap_up":  # end the stays, maybe the final monitoring, then close
            for owner, placement in self.items["placement"]:
                if owner == ep:
                    with contextlib.suppress(DomainError):
                        ledger.end_placement(
                            CASEWORKER, ep, placement, destination="own_home", occurred_on=DAYS[-1]
                        )
            if op[2]:
                ledger.record_assessment(
                    CASEWORKER, ep, stage="final", instrument="SRS", scores={}, occurred_on=DAYS[-1]
                )
            ledger.close_episode(
                CASEWORKER,
                ep,
                reason="goals_achieved",
                destination="own_home",
                occurred_on=DAYS[-1],
            )
        elif kind in ("mentor", "link", "void_person", "add_service", "cohort"):
            self._person_command(ledger, kind, ep, op)
        elif kind == "close":
            ledger.close_episode(
                CASEWORKER, ep, reason="goals_achieved", destination="own_home", occurred_on=op[2]
            )

    def _person_command(self, ledger: Ledger, kind: str, ep: Any, op: tuple[Any, ...]) -> None:
        participant = ledger.load(Episode, ep).participant_id
        if kind == "mentor":
            if isinstance(op[2], str):
                ledger.assign_mentor(CASEWORKER, ep, mentor_staff=op[2], occurred_on=op[3])
            else:
                other = self.episodes[op[2] % len(self.episodes)]
                mentor = ledger.load(Episode, other).participant_id
                ledger.assign_mentor(
                    CASEWORKER, ep, mentor_participant_id=mentor, occurred_on=op[3]
                )
        elif kind == "link":
            other = self.episodes[op[2] % len(self.episodes)]
            admin_commands.link(
                ledger, participant, ledger.load(Episode, other).participant_id, undo=op[3]
            )
        elif kind == "void_person":
            voidable = ledger.load(Participant, participant).voidable
            if voidable:
                entry = entry_id(participant, max(voidable))
                admin_commands.void_participant_entry(ledger, participant, entry)
        elif kind == "cohort":
            admin_commands.define_cohort(ledger, self.program, op[2], op[3])
        else:
            admin_commands.add_service(ledger, self.program, op[2], "skill_events", op[3])

    def answers(self) -> dict[str, Any]:
        """What the live generation of each read model says, in the fold's shapes."""
        models: dict[str, Any] = {m.name: m(self.stores.read) for m in MODELS}
        with models["services"].reading() as r:
            services = {
                (row.dimensions["kind"], row.dimensions["settlement"], row.dimensions["month"]): (
                    row.services,
                    row.quantity,
                    row.people,
                )
                for row in models["services"].report(r, self.program)
            }
        with models["occupancy"].reading() as r:
            occupancy = {
                d: {
                    o.facility_id: (o.capacity, [(b.bed, b.episode_id) for b in o.beds])
                    for o in models["occupancy"].on(r, d)
                }
                for d in DAYS
            }
        with models["caseloads"].reading() as r:
            caseloads: dict[tuple[date, str], Any] = {}
            for as_of in CASELOAD_DAYS:
                for caseworker in ("cw-7", "cw-8"):
                    load = models["caseloads"].caseload(r, caseworker, as_of)
                    if load.episodes or load.overdue:
                        caseloads[(as_of, caseworker)] = (
                            sorted((e.episode_id, e.last_contact) for e in load.episodes),
                            {(o.kind, o.item_id) for o in load.overdue},
                        )
        with models["outcomes"].reading() as r:
            report = models["outcomes"].report(r, self.program, *YEAR)
            outcomes = {
                i.indicator: {who: set(proofs) for who, proofs in i.evidence.items()}
                for i in report.indicators
                if i.evidence
            }
        with models["directory"].reading() as r:
            directory = _directory(models["directory"], r)
        return {
            "services": services,
            "occupancy": occupancy,
            "caseloads": caseloads,
            "outcomes": outcomes,
            "directory": directory,
        }

    def folded(self) -> dict[str, Any]:
        ledger = self.stores.ledger
        events = [
            ledger.mapper.to_domain_event(n)
            for n in ledger.recorder.select_notifications(1, 1_000_000)
        ]
        caseloads = {
            (as_of, cw): (sorted(episodes), overdue)
            for as_of in CASELOAD_DAYS
            for cw, (episodes, overdue) in fold.caseloads(events, as_of).items()
            if episodes or overdue
        }
        return {
            "services": fold.services(events),
            "occupancy": {d: fold.occupancy(events, d) for d in DAYS},
            "caseloads": caseloads,
            "outcomes": {
                k: v for k, v in fold.outcomes(events, str(self.program), *YEAR).items() if v
            },
            "directory": fold.directory(events),
        }


def _directory(model: Any, reading: Any) -> dict[str, Any]:
    """What the directory lists, in the fold's shapes: every program, facility and episode, and
    the episodes each filter finds."""

    def episodes(**which: Any) -> list[tuple[Any, ...]]:
        return [
            (e.episode_id, e.program_id, e.participant_id, e.caseworker, e.opened_on, e.closed_on)
            for e in model.episodes(reading, EpisodeFilter(**which), 0, 10_000)
        ]

    return {
        "programs": [
            (p.program_id, p.code, p.course_start_limit_days) for p in model.programs(reading)
        ],
        "facilities": sorted(
            (f.facility_id, f.name, f.kind, f.settlement, tuple(f.programs))
            for f in model.facilities(reading)
        ),
        "episodes": episodes(),
        "open": episodes(status="open"),
        "closed_of_cw-8": episodes(status="closed", caseworker="cw-8"),
    }


def check_agreement(stores: Stores, operations: list[tuple[Any, ...]]) -> None:
    run = Run(stores)
    for op in operations:
        run.apply(op)
    run.apply(("catch_up", 3))
    live = run.answers()
    rebuild(stores.ledger, stores.read, *MODELS, batch=4)  # one pass over the log feeds all
    rebuilt = run.answers()
    expected = run.folded()
    for name in expected:
        assert live[name] == expected[name], name
        assert rebuilt[name] == expected[name], name


PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.lists(operation, min_size=5, max_size=60))
def test_live_rebuilt_and_folded_agree_on_sqlite(operations: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        stores = open_stores(f"sqlite:///{folder}/ledger.sqlite3")
        try:
            check_agreement(stores, operations)
        finally:
            stores.read.close()
            stores.ledger.close()


@settings(PROPERTY, max_examples=10)
@given(operations=st.lists(operation, min_size=5, max_size=60))
def test_live_rebuilt_and_folded_agree_on_postgres(
    schemas: Any, operations: list[tuple[Any, ...]]
) -> None:
    stores = open_stores(schemas())
    try:
        check_agreement(stores, operations)
    finally:
        stores.read.close()
        stores.ledger.close()
