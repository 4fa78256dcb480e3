"""Many short streams read together (a search's hits) answer what reading each one answers,
on both stores: erased personal data as erased, other kinds and unknown ids left out; and the
key ring hands out many keys in one go, never making one for an erased person."""

from __future__ import annotations

import uuid
from datetime import date
from uuid import UUID

from domain.base import Actor
from domain.commands import Context
from domain.ledger import Ledger
from domain.participant import Participant
from domain.personal_data import PersonalData, personal_data_id_for
from domain.vocabulary import Financing, Residence, TargetGroup
from store.keyring import SqlKeyRing

CASEWORKER = Context(Actor("caseworker-1", "caseworker"))
ADMIN = Context(Actor("admin-1", "admin"))


def register(ledger: Ledger, name: str) -> UUID:
    return ledger.register_participant(
        CASEWORKER,
        target_groups=[TargetGroup.HOMELESS],
        settlement="Kunashak",
        birth_year=1980,
        prior_residence=Residence.STREET,
        personal_data={"full_name": name, "birth_date": date(1980, 2, 3)},
    ).id


def test_many_people_read_together_are_the_people_read_one_by_one(ledger: Ledger) -> None:
    people = [register(ledger, name) for name in ("Анна Ёжикова", "Пётр Лосев", "Ия Ким")]
    ledger.record_consent(
        CASEWORKER, people[0], scope="services", document_ref="C-1", occurred_on=date(2024, 1, 9)
    )
    ledger.erase_participant(ADMIN, people[2], reason="asked to be forgotten")
    program = ledger.define_program(
        Context(Actor("admin-1", "admin")),
        code="P-1",
        name="Program",
        financing=Financing.BUDGET,
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
        targets={},
    ).id
    asked = [*people, program, uuid.uuid4()]

    found = ledger.load_many(Participant, asked)
    assert list(found) == people
    for person in people:
        one = ledger.load(Participant, person)
        assert (found[person].version, vars(found[person])) == (one.version, vars(one))
    assert found[people[2]].erased

    data = ledger.load_many(PersonalData, [personal_data_id_for(p) for p in asked])
    assert list(data) == [personal_data_id_for(p) for p in people]
    for data_id, read in data.items():
        assert read.fields == ledger.load(PersonalData, data_id).fields
    assert [d.fields.get("full_name") for d in data.values()][:2] == ["Анна Ёжикова", "Пётр Лосев"]
    assert "Ия Ким" not in repr(vars(data[personal_data_id_for(people[2])]))
    assert ledger.load_many(PersonalData, people) == {}  # people are not their data


def test_many_keys_are_made_at_once_and_an_erased_persons_never_again(ledger: Ledger) -> None:
    keyring = ledger.mapper.keyring  # type: ignore[attr-defined]
    if not isinstance(keyring, SqlKeyRing):
        return
    erased = personal_data_id_for(register(ledger, "Анна Ёжикова"))
    keyring.destroy(erased)
    fresh = [uuid.uuid4() for _ in range(1200)]  # more than one statement's worth

    made = keyring.keys_for([*fresh, erased], create=True)
    assert made[erased] is None
    assert len({made[s] for s in fresh}) == len(fresh)
    keyring._cache.clear()  # as another process reads them
    assert keyring.keys_for(fresh, create=False) == {s: made[s] for s in fresh}
    assert keyring.key_for(erased, create=True) is None
