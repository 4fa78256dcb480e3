"""Free text about a person is sealed with their key: unreadable in the store, erased with it."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, Mapper, UUIDAsHex

from domain.participant import Participant
from domain.personal_data import PersonalData, personal_data_id_for
from domain.sealing import sealed_facts
from store.sealing import MemoryKeyRing, SealingMapper
from store.transcoding import DateAsISO, LedgerTranscoder
from tests.domain.given import ADMIN, CASEWORKER, TODAY, a_participant

REASON = "Asked by her daughter Vera Ilyina by phone"
DOCUMENT = "Consent signed, passport 7505 123456"


def transcoder() -> LedgerTranscoder:
    made = LedgerTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        made.register(transcoding)
    return made


def erased_participant_events() -> list[Any]:
    person = a_participant()
    person.collect_events()
    person.record_consent("housing", DOCUMENT, TODAY, CASEWORKER, TODAY)
    person.erase(REASON, ADMIN, TODAY)
    return list(person.collect_events())


def test_an_erasures_reason_and_a_consents_document_are_stored_sealed_and_read_back() -> None:
    keyring = MemoryKeyRing()
    mapper = SealingMapper(transcoder(), keyring)
    consent, erasure = erased_participant_events()

    stored = [mapper.to_stored_event(event) for event in (consent, erasure)]

    assert REASON.encode() not in stored[1].state
    assert DOCUMENT.encode() not in stored[0].state
    assert b"housing" in stored[0].state  # what is not personal stays readable
    read = [mapper.to_domain_event(event) for event in stored]
    assert (read[0].document_ref, read[0].scope, read[1].reason) == (DOCUMENT, "housing", REASON)
    assert list(keyring.keys) == [personal_data_id_for(consent.originator_id)]


def test_once_the_persons_key_is_destroyed_their_free_text_reads_as_erased() -> None:
    keyring = MemoryKeyRing()
    mapper = SealingMapper(transcoder(), keyring)
    consent, erasure = erased_participant_events()
    stored = [mapper.to_stored_event(event) for event in (consent, erasure)]

    keyring.destroy(personal_data_id_for(consent.originator_id))
    read = [mapper.to_domain_event(event) for event in stored]

    assert (read[0].document_ref, read[0].scope, read[1].reason) == ("erased", "housing", "erased")
    assert read[1].recorded_by == ADMIN.subject


def test_events_stored_in_plain_text_before_they_were_sealed_still_load() -> None:
    consent, erasure = erased_participant_events()
    plain = [Mapper(transcoder()).to_stored_event(event) for event in (consent, erasure)]

    read = [SealingMapper(transcoder(), MemoryKeyRing()).to_domain_event(e) for e in plain]

    assert (read[0].document_ref, read[1].reason) == (DOCUMENT, REASON)
    assert sealed_facts(read[1]) == {"reason"}


def test_every_fact_of_personal_data_is_sealed_and_its_envelope_is_not() -> None:
    person = a_participant()
    data = PersonalData.record(
        participant_id=person.id, fields={"full_name": "Vera Ilyina"}, by=CASEWORKER, today=TODAY
    )
    data.correct({"phone": "+7 900"}, REASON, TODAY, CASEWORKER, TODAY)
    recorded, corrected = data.collect_events()

    assert sealed_facts(recorded) == {"fields"}
    assert sealed_facts(corrected) == {"changes", "reason"}
    registered = Participant.register(
        target_groups=["elderly"], settlement="Miass", birth_year=1950,
        prior_residence="own_home", by=CASEWORKER, today=TODAY,
    ).collect_events()[0]  # fmt: skip
    assert sealed_facts(registered) == frozenset()  # counted by reports: not free text
