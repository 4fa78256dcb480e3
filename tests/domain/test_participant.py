from datetime import date
from uuid import uuid4

import pytest

from domain.base import Actor, FutureDateError, InvalidValueError, NotFoundError
from domain.participant import (
    ConsentRequiredError,
    EntryNotVoidableError,
    LinkError,
    Participant,
    ParticipantErasedError,
)
from domain.personal_data import InvalidSnilsError, PersonalData, normalise_snils
from domain.tracks import entry_id
from tests.domain.given import (
    ADMIN,
    CASEWORKER,
    TODAY,
    a_participant,
    replayed,
    settled,
    then_events,
    then_refused,
)

SUPERVISOR = Actor("sv-1", "supervisor", "req-sv")


def test_registering_a_participant_records_no_personal_data() -> None:
    participant = Participant.register(
        target_groups=["homeless", "released_from_prison", "homeless"],
        settlement="Troitsk",
        birth_year=1979,
        prior_residence="street",
        by=CASEWORKER,
        today=TODAY,
    )
    [registered] = participant.collect_events()
    assert isinstance(registered, Participant.Registered)
    assert registered.target_groups == ["homeless", "released_from_prison"]
    assert set(vars(registered)) >= {"settlement", "birth_year", "prior_residence"}
    assert not {"full_name", "snils", "phone", "address"} & set(vars(registered))


@pytest.mark.parametrize(
    "overrides",
    [{"target_groups": []}, {"birth_year": 1850}, {"birth_year": 2030}, {"settlement": ""}],
)
def test_a_participant_with_impossible_fields_is_refused(overrides: dict[str, object]) -> None:
    fields = {
        "target_groups": ["elderly"],
        "settlement": "Kunashak",
        "birth_year": 1940,
        "prior_residence": "own_home",
        "by": CASEWORKER,
        "today": TODAY,
        **overrides,
    }
    with pytest.raises(InvalidValueError):
        Participant.register(**fields)  # type: ignore[arg-type]


def test_consent_is_recorded_and_withdrawn_by_scope() -> None:
    participant = a_participant(consent=False)
    [recorded] = then_events(
        participant,
        lambda: participant.record_consent("services", "C-1", date(2024, 3, 1), CASEWORKER, TODAY),
    )
    assert (recorded.scope, recorded.document_ref) == ("services", "C-1")
    [withdrawn] = then_events(
        participant,
        lambda: participant.withdraw_consent("services", date(2024, 4, 1), CASEWORKER, TODAY),
    )
    assert isinstance(withdrawn, Participant.ConsentWithdrawn)
    assert participant.consents == []
    then_refused(
        InvalidValueError,
        participant,
        lambda: participant.withdraw_consent("services", date(2024, 4, 2), CASEWORKER, TODAY),
    )


def test_an_episode_needs_consent_on_record() -> None:
    with pytest.raises(ConsentRequiredError):
        a_participant(consent=False).check_can_open_episode()
    a_participant(consent=True).check_can_open_episode()


def test_withdrawn_applications_and_admissions_to_institutions_are_recorded() -> None:
    participant = a_participant()
    withdrawn, admitted = then_events(
        participant,
        lambda: (
            participant.withdraw_institutional_application(
                "psychoneurological_boarding_home", date(2024, 3, 1), CASEWORKER, TODAY
            ),
            participant.record_institutional_admission(
                "nursing_home", date(2024, 5, 1), CASEWORKER, TODAY
            ),
        ),
    )
    assert isinstance(withdrawn, Participant.InstitutionalApplicationWithdrawn)
    assert withdrawn.institution_kind == "psychoneurological_boarding_home"
    assert isinstance(admitted, Participant.InstitutionalAdmission)
    then_refused(
        FutureDateError,
        participant,
        lambda: participant.record_institutional_admission(
            "nursing_home", date(2024, 6, 3), CASEWORKER, TODAY
        ),
    )


def test_nothing_more_is_recorded_about_an_erased_participant() -> None:
    participant = a_participant()
    then_refused(InvalidValueError, participant, lambda: participant.erase(" ", ADMIN, TODAY))
    [erased] = then_events(
        participant, lambda: participant.erase("request of the person", ADMIN, TODAY)
    )
    assert isinstance(erased, Participant.Erased)
    then_refused(
        ParticipantErasedError,
        participant,
        lambda: participant.record_consent("services", "C-2", TODAY, CASEWORKER, TODAY),
    )
    with pytest.raises(ParticipantErasedError):
        participant.check_can_open_episode()


def test_snils_is_normalised_and_its_check_sum_verified() -> None:
    assert normalise_snils("112-233-445 95") == "11223344595"
    with pytest.raises(InvalidSnilsError):
        normalise_snils("112-233-445 96")
    with pytest.raises(InvalidSnilsError):
        normalise_snils("12345")


def test_personal_data_needs_a_name_and_corrections_need_a_reason() -> None:
    participant = a_participant()
    with pytest.raises(InvalidValueError):
        PersonalData.record(
            participant_id=participant.id, fields={"phone": "+7 900"}, by=CASEWORKER, today=TODAY
        )
    data = PersonalData.record(
        participant_id=participant.id,
        fields={"full_name": "Anna K.", "snils": "112 233 445 95"},
        by=CASEWORKER,
        today=TODAY,
    )
    data.collect_events()
    assert data.fields["snils"] == "11223344595"
    then_refused(
        InvalidValueError, data, lambda: data.correct({"phone": "1"}, "", TODAY, CASEWORKER, TODAY)
    )
    then_refused(
        InvalidValueError, data, lambda: data.correct({"eyes": "1"}, "x", TODAY, CASEWORKER, TODAY)
    )
    [corrected] = then_events(
        data, lambda: data.correct({"phone": "+7 900 000"}, "new phone", TODAY, CASEWORKER, TODAY)
    )
    assert corrected.changes == {"phone": "+7 900 000"}
    assert data.fields == {"full_name": "Anna K.", "snils": "11223344595", "phone": "+7 900 000"}


# Links and voids


def test_two_records_are_linked_and_unlinked_with_a_reason() -> None:
    one, other = a_participant(), a_participant()
    [linked] = then_events(one, lambda: one.link(other.id, " same SNILS ", SUPERVISOR, TODAY))
    assert (linked.other_id, linked.reason, one.linked) == (other.id, "same SNILS", [other.id])
    [unlinked] = then_events(one, lambda: one.unlink(other.id, "twins", SUPERVISOR, TODAY))
    assert isinstance(unlinked, Participant.Unlinked)
    assert one.linked == []


@pytest.mark.parametrize("reason", ["", "   \t"])
def test_a_link_needs_a_reason(reason: str) -> None:
    one, other = a_participant(), a_participant()
    then_refused(InvalidValueError, one, lambda: one.link(other.id, reason, SUPERVISOR, TODAY))


def test_a_record_is_not_linked_to_itself_twice_or_unlinked_from_a_stranger() -> None:
    one, other = a_participant(), a_participant()
    then_refused(LinkError, one, lambda: one.link(one.id, "same", SUPERVISOR, TODAY))
    then_refused(LinkError, one, lambda: one.unlink(other.id, "never", SUPERVISOR, TODAY))
    settled(one).link(other.id, "same", SUPERVISOR, TODAY)
    settled(one)
    then_refused(LinkError, one, lambda: one.link(other.id, "again", SUPERVISOR, TODAY))


def test_an_erased_record_is_neither_linked_nor_voided() -> None:
    one, other = a_participant(), a_participant()
    settled(one).erase("asked", ADMIN, TODAY)
    settled(one)
    then_refused(ParticipantErasedError, one, lambda: one.link(other.id, "x", SUPERVISOR, TODAY))
    consent = entry_id(one.id, 2)
    then_refused(ParticipantErasedError, one, lambda: one.void_entry(consent, "x", ADMIN, TODAY))


def test_a_voided_consent_no_longer_counts_and_an_episode_needs_another() -> None:
    person = a_participant()
    [voided] = then_events(
        person, lambda: person.void_entry(entry_id(person.id, 2), "wrong person", CASEWORKER, TODAY)
    )
    assert (voided.event_id, voided.reason) == (entry_id(person.id, 2), "wrong person")
    assert person.consents == []
    with pytest.raises(ConsentRequiredError):
        person.check_can_open_episode()


def test_a_consent_given_again_after_a_withdrawal_goes_with_its_own_void() -> None:
    # recorded (v2), withdrawn (v3), recorded again (v4): voiding v4 leaves the withdrawal standing
    person = a_participant()
    person.withdraw_consent("services", date(2024, 3, 1), CASEWORKER, TODAY)
    person.record_consent("services", "C-18", date(2024, 4, 1), CASEWORKER, TODAY)
    settled(person).void_entry(entry_id(person.id, 4), "recorded twice", CASEWORKER, TODAY)
    assert person.consents == []


def test_a_consent_recorded_twice_stands_when_one_recording_is_voided() -> None:
    person = a_participant()
    person.record_consent("services", "C-18", date(2024, 4, 1), CASEWORKER, TODAY)
    person.record_consent("photos", "C-19", date(2024, 4, 1), CASEWORKER, TODAY)
    settled(person).void_entry(entry_id(person.id, 2), "scan of another form", CASEWORKER, TODAY)
    assert person.consents == ["services", "photos"]


def test_voids_and_links_replay_to_the_same_state() -> None:
    person, other = Participant.register(
        target_groups=["elderly"], settlement="Bredy", birth_year=1950,
        prior_residence="own_home", by=CASEWORKER, today=TODAY,
    ), a_participant()  # fmt: skip
    person.record_consent("services", "C-1", date(2024, 2, 1), CASEWORKER, TODAY)
    person.record_institutional_admission("nursing_home", date(2024, 3, 1), CASEWORKER, TODAY)
    person.void_entry(entry_id(person.id, 3), "another person's admission", CASEWORKER, TODAY)
    person.link(other.id, "same person", SUPERVISOR, TODAY)
    rebuilt = replayed(person, person.collect_events())
    assert (rebuilt.voided, rebuilt.linked, rebuilt.consents) == ([3], [other.id], ["services"])
    assert rebuilt.voidable == {2: "services"}


def test_an_entry_is_voided_once_and_only_a_consent_or_institutional_fact() -> None:
    person = a_participant()
    person.withdraw_institutional_application("nursing_home", date(2024, 3, 1), CASEWORKER, TODAY)
    settled(person).void_entry(entry_id(person.id, 3), "entered twice", CASEWORKER, TODAY)
    settled(person)
    again = entry_id(person.id, 3)
    then_refused(
        EntryNotVoidableError, person, lambda: person.void_entry(again, "x", CASEWORKER, TODAY)
    )
    registration = entry_id(person.id, 1)
    then_refused(
        EntryNotVoidableError,
        person,
        lambda: person.void_entry(registration, "x", CASEWORKER, TODAY),
    )
    the_void = entry_id(person.id, 4)
    then_refused(
        EntryNotVoidableError, person, lambda: person.void_entry(the_void, "x", CASEWORKER, TODAY)
    )
    then_refused(NotFoundError, person, lambda: person.void_entry(uuid4(), "x", CASEWORKER, TODAY))
