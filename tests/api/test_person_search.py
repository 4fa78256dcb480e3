"""Finding a person by name, birth date, SNILS or phone: typos, scripts and double surnames,
only people the caller may see, every hit's read recorded; SNILS unique; look-alikes listed."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx

from tests.api.conftest import OTHER, OWN, Api
from tests.api.world import day, episode, program
from tests.snils import a_snils

PERSON = {
    "full_name": "Петрова-Водкина Алёна Сергеевна",
    "birth_date": "1990-05-17",
    "phone": "8 (912) 345-67-89",
}


def register(
    api: Api, personal: dict[str, Any], programs: list[str] | None = None, sub: str | None = None
) -> httpx.Response:
    return api.http.post(
        "/v1/participants",
        json={
            "target_groups": ["orphan_care_leaver"],
            "settlement": "Kopeysk",
            "birth_year": 1990,
            "prior_residence": "orphan_care",
            "personal_data": personal,
        },
        headers=api.as_("caseworker", programs or [OWN], sub),
    )


def a_person(api: Api, **personal: Any) -> tuple[str, str]:
    """A person registered by caseworker-1 of OWN, and their SNILS."""
    snils = personal.pop("snils", None) or a_snils()
    response = register(api, {**PERSON, **personal, "snils": snils})
    assert response.status_code == 201, response.text
    return str(response.json()["id"]), snils


def enrol(api: Api, person: str, program_id: str) -> None:
    """The person consents and joins the program OWN (by caseworker-1, who registered them)."""
    consent = api.post(
        f"/v1/participants/{person}/consents",
        {"scope": "services", "document_ref": "C-1", "occurred_on": day(60)},
    )
    assert consent.status_code == 201, consent.text
    episode(api, person, program_id, [OWN])


def search(api: Api, query: str, role: str = "caseworker", **caller: Any) -> httpx.Response:
    return api.http.post(
        "/v1/participants/search", json={"query": query}, headers=api.as_(role, **caller)
    )


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [hit["participant_id"] for hit in response.json()["hits"]]


def test_a_caseworker_finds_the_person_they_just_registered_however_the_name_is_typed(
    api: Api,
) -> None:
    person, snils = a_person(api)
    other, _ = a_person(api, full_name="Сидоров Борис", birth_date="1971-01-02", phone="+7 900")
    for typed in (
        "Петрова-Водкина Алёна",
        "Петрова Водкина Алена",  # the double surname in parts, yo typed as ye
        "Vodkina Alyona",  # Latin
        "Pertova",  # two letters swapped
        "Водкна",  # a letter missing
        "ВОДКИНА",
        "Водкина 17.05.1990",
        "1990-05-17",
        snils,
        snils.replace("-", "").replace(" ", ""),
        "+7 912 345-67-89",  # the phone as +7 where it was recorded with 8
    ):
        found = ids(search(api, typed))
        assert found[:1] == [person], typed
        assert other not in found, typed
    hit = search(api, "Vodkina Alena 1990-05-17").json()["hits"][0]
    assert hit["matched"] == ["full_name", "birth_date"]
    assert hit["score"] == 6
    assert hit["personal_data"]["full_name"] == PERSON["full_name"]
    assert hit["masked"] is False


def test_more_matching_parts_rank_first(api: Api) -> None:
    namesake, _ = a_person(api, birth_date="1985-01-01")
    person, _ = a_person(api)
    found = ids(search(api, "Водкина Алёна 17.05.1990"))
    assert found[:2] == [person, namesake]


def test_the_get_form_answers_as_the_post(api: Api) -> None:
    person, _ = a_person(api)
    answer = api.get("/v1/participants", search="Vodkina", limit=5)
    assert ids(answer) == [person]
    assert answer.json() == search(api, "Vodkina").json()


def test_an_outsider_finds_nobody_they_may_not_see(api: Api) -> None:
    own, _ = program(api, OWN), program(api, OTHER)
    person, snils = a_person(api)
    enrol(api, person, own)
    for typed in ("Водкина", snils, "1990-05-17"):
        assert ids(search(api, typed, programs=[OTHER])) == []
        assert ids(search(api, typed, role="supervisor", programs=[OTHER])) == []
        # Not yet in any program: only its registrar saw them; now the program's staff do.
        assert ids(search(api, typed, programs=[OWN], sub="caseworker-2")) == [person]
    auditor = search(api, "Водкина", role="auditor", programs=[OWN]).json()["hits"][0]
    assert auditor["masked"] is True
    assert set(auditor["personal_data"].values()) == {"***"}


def test_a_person_registered_but_in_no_program_is_found_by_their_registrar_only(api: Api) -> None:
    a_person(api)
    assert ids(search(api, "Водкина", sub="caseworker-2")) == []
    assert len(ids(search(api, "Водкина"))) == 1


def test_an_analyst_may_not_search(api: Api) -> None:
    a_person(api)
    refused = search(api, "Водкина", role="analyst")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert "caseworker" in refused.json()["title"]  # names the roles that may


def test_each_hit_is_recorded_as_read_without_the_search_text(api: Api) -> None:
    person, _ = a_person(api)
    search(api, "Vodkina 1990-05-17")
    records = [r for r in api.app.state.components.access_log.of(person) if r.what == "search"]
    assert len(records) == 1
    assert (records[0].subject, records[0].unmasked, records[0].reason) == (
        "caseworker-1",
        True,
        None,
    )
    assert "Vodkina" not in repr(records)


def test_odd_and_extreme_search_text_is_refused_as_a_problem(api: Api) -> None:
    a_person(api)
    for body in (
        {"query": "Vod\x00kina"},
        {"query": ""},
        {"query": "   "},
        {"query": "Я" * 201},
        {"query": "Vodkina", "limit": 0},
        {"query": "Vodkina", "limit": 10**6},
        {"query": ["Vodkina"]},
        {"query": "Vodkina", "field": "x"},
    ):
        answer = api.http.post("/v1/participants/search", json=body, headers=api.as_("caseworker"))
        assert answer.status_code == 422, body
        assert answer.headers["content-type"] == "application/problem+json"
    for params in ({"search": "a\x00b"}, {"search": "x" * 201}, {}):
        answer = api.http.get("/v1/participants", params=params, headers=api.as_("caseworker"))
        assert answer.status_code == 422, params
        assert answer.headers["content-type"] == "application/problem+json"
    # Text without anything to search for finds nobody, and is no error.
    for text in ("!!! ??? ***", "😀", "'; DROP TABLE person_tokens; --", "1" * 200):
        assert ids(search(api, text)) == [], text


def test_a_second_registration_with_the_same_snils_is_refused_naming_the_first(api: Api) -> None:
    person, snils = a_person(api)
    again = register(api, {**PERSON, "snils": snils.replace("-", "")})
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_person"
    assert again.json()["existing_participant_id"] == person
    # Someone who may not see the first person hears the same refusal, naming nobody.
    stranger = register(api, {"full_name": "X", "snils": snils}, [OTHER], sub="caseworker-9")
    assert stranger.status_code == 409
    assert stranger.json()["code"] == "duplicate_person"
    assert "existing_participant_id" not in stranger.json()
    assert person not in stranger.text


def test_two_registrations_racing_with_one_snils_give_one_person(api: Api) -> None:
    snils = a_snils()
    answers: list[httpx.Response] = []
    start = threading.Barrier(4)

    def one() -> None:
        with httpx.Client(base_url=api.url, timeout=30) as client:
            start.wait()
            answers.append(
                client.post(
                    "/v1/participants",
                    json={
                        "target_groups": ["homeless"],
                        "settlement": "Kunashak",
                        "birth_year": 1980,
                        "prior_residence": "street",
                        "personal_data": {"full_name": "Racing Twin", "snils": snils},
                    },
                    headers=api.as_("caseworker"),
                )
            )

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    winner = next(a.json()["id"] for a in answers if a.status_code == 201)
    assert {a.json().get("existing_participant_id") for a in answers if a.status_code == 409} <= {
        winner,
        None,
    }
    assert ids(search(api, snils)) == [winner]
    assert ids(search(api, "Racing Twin")) == [winner]


def test_a_correction_to_another_persons_snils_is_refused_and_an_old_snils_freed(
    api: Api,
) -> None:
    first, first_snils = a_person(api)
    second, second_snils = a_person(api, full_name="Сидоров Борис")
    correct = f"/v1/participants/{second}/personal-data/corrections"
    taken = api.post(
        correct, {"changes": {"snils": first_snils}, "reason": "typo", "occurred_on": day(1)}
    )
    assert taken.status_code == 409
    assert taken.json()["existing_participant_id"] == first
    assert ids(search(api, first_snils)) == [first]
    new_snils = a_snils()
    moved = api.post(
        correct,
        {"changes": {"snils": new_snils, "full_name": "Сидоров Борислав"}, "reason": "typo",
         "occurred_on": day(1)},
    )  # fmt: skip
    assert moved.status_code == 201, moved.text
    assert ids(search(api, new_snils)) == [second]
    assert ids(search(api, second_snils)) == []
    assert ids(search(api, "Борислав"))[0] == second
    # The SNILS the correction gave up is anyone's again.
    assert register(api, {"full_name": "Новый Человек", "snils": second_snils}).status_code == 201


def test_a_supervisor_sees_people_recorded_twice_within_their_programs(api: Api) -> None:
    own = program(api, OWN)
    program(api, OTHER)
    one, _ = a_person(api)
    two, _ = a_person(api, full_name="Алена Сергеевна Петрова Водкина", phone="+7 911")
    three, _ = a_person(api, birth_date="1991-05-17")  # another birth date: someone else
    for person in (one, two, three):
        enrol(api, person, own)
    answer = api.get("/v1/participants/candidates", role="supervisor")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "groups": [{"participant_ids": sorted([one, two])}],
        "next_cursor": None,
    }
    elsewhere = api.http.get("/v1/participants/candidates", headers=api.as_("supervisor", [OTHER]))
    assert elsewhere.json()["groups"] == []
    refused = api.get("/v1/participants/candidates", role="caseworker")
    assert refused.status_code == 403
    assert api.get("/v1/participants/candidates", role="supervisor", cursor="!").status_code == 422


def test_an_index_entry_of_no_saved_person_is_never_answered(api: Api) -> None:
    person, _ = a_person(api)
    ghost = uuid.uuid4()  # indexed by a registration that crashed before its save
    api.ledger.person_index.put(ghost, PERSON)
    answer = search(api, "Водкина")
    assert ids(answer) == [person]
    assert str(ghost) not in answer.text
