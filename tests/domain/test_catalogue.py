from domain.catalogue import BUILT_IN_INDICATORS, indicator_of
from domain.vocabulary import ServiceKind

CATALOGUE = {
    "peer_group": {"name": "Peer group", "unit": "meeting", "indicator": "skill_events"},
    "laundry": {"name": "Laundry", "unit": "load", "indicator": None},
}


def test_every_built_in_kind_says_which_indicator_it_feeds() -> None:
    assert set(BUILT_IN_INDICATORS) == set(ServiceKind)


def test_consultations_feed_consulted_and_skills_and_workshops_skill_events() -> None:
    assert {k for k in ServiceKind if indicator_of(k, {}) == "consulted"} == {
        "consultation_psychologist",
        "consultation_lawyer",
        "consultation_doctor",
    }
    assert {k for k in ServiceKind if indicator_of(k, {}) == "skill_events"} == {
        "household_skills",
        "workshop",
    }
    assert indicator_of("mentoring", {}) is None
    assert indicator_of("home_care", CATALOGUE) is None


def test_a_catalogue_kind_feeds_what_its_entry_names_and_an_unknown_kind_nothing() -> None:
    assert indicator_of("peer_group", CATALOGUE) == "skill_events"
    assert indicator_of("laundry", CATALOGUE) is None
    assert indicator_of("peer_group", {}) is None
    assert indicator_of("massage", CATALOGUE) is None
