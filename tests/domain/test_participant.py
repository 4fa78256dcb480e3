from datetime import date

import pytest

from domain.base import FutureDateError, InvalidValueError
from domain.participant import ConsentRequiredError, Participant, ParticipantErasedError
from domain.personal_data import InvalidSnilsError, PersonalData, normalise_snils
from tests.domain.given import ADMIN, CASEWORKER, TODAY, a_participant, then_events, then_refused


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
