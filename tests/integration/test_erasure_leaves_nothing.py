"""After an erasure no file of the store holds the person's key or data, on either store."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.keys import kek
from api.store_env import erasure_list_path
from tests.api.conftest import Api, serve
from tests.integration.erasure_scan import (
    an_older_transaction,
    analyze,
    store_files,
    traces,
    wrapped_key,
)

PERSON = {
    "full_name": "Зинаида Стёртова",
    "snils": "112-233-445 95",
    "phone": "+7 912 345 67 89",
    "address": "Sadovaya street 17, Kunashak",
    "birth_date": "1968-03-08",
}
CORRECTED_PHONE = "+7 999 000 11 22"
VALUES = [*PERSON.values(), CORRECTED_PHONE, "11223344595", "Стёртова"]


@pytest.fixture
def api(store_url: str, tmp_path: Path) -> Iterator[Api]:
    # On SQLite each wait for a reader of the key store lasts one second; on PostgreSQL the
    # default (5 s) lets other sessions' transactions on a shared server end.
    patience = 1 if store_url.startswith("sqlite") else 5
    with serve(store_url, tmp_path, store_lock_timeout=patience) as running:
        yield running


def register(api: Api, personal_data: dict[str, str]) -> str:
    answer = api.post(
        "/v1/participants",
        {"target_groups": ["homeless"], "settlement": "Kunashak", "birth_year": 1968,
         "prior_residence": "street", "personal_data": personal_data},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def a_person_with_neighbours(api: Api) -> tuple[str, list[str]]:
    """The person, registered and corrected among others whose keys share the table's pages."""
    before = [register(api, {"full_name": f"Before {n}"}) for n in range(20)]
    person = register(api, PERSON)
    correction = api.post(
        f"/v1/participants/{person}/personal-data/corrections",
        {"changes": {"phone": CORRECTED_PHONE}, "reason": "confirmed by phone", "occurred_on":
         PERSON["birth_date"].replace("1968", "2024")},
    )  # fmt: skip
    assert correction.status_code == 201, correction.text
    after = [register(api, {"full_name": f"After {n}"}) for n in range(20)]
    return person, before + after


def erase(api: Api, person: str, key: str = "erase-1") -> tuple[int, dict[str, str]]:
    answer = api.post(
        f"/v1/participants/{person}/erase", {"reason": "the person asked"}, role="admin",
        **{"Idempotency-Key": key},
    )  # fmt: skip
    return answer.status_code, answer.json()


def leftovers(api: Api, person: str, wrapped: str) -> list[str]:
    return traces(
        store_files(api.settings),
        wrapped=wrapped,
        kek=kek(api.settings),
        participant_id=person,
        values=VALUES,
    )


def test_no_file_of_the_store_holds_an_erased_persons_key_or_data(api: Api) -> None:
    person, neighbours = a_person_with_neighbours(api)
    wrapped = wrapped_key(api.settings, person)
    analyze(api.settings)
    shown = api.get(f"/v1/participants/{person}", role="admin", reason="check").json()
    assert shown["personal_data"]["phone"] == CORRECTED_PHONE
    assert "the wrapped key" in " ".join(leftovers(api, person, wrapped)), "the scan sees keys"

    status, body = erase(api, person)

    assert status == 201, body
    assert leftovers(api, person, wrapped) == []
    shown = api.get(f"/v1/participants/{person}", role="admin", reason="check").json()
    assert shown["personal_data"] == {"erased": True}
    for neighbour in (neighbours[0], neighbours[-1]):
        kept = api.get(f"/v1/participants/{neighbour}", role="admin", reason="check").json()
        assert kept["personal_data"]["full_name"].split()[0] in ("Before", "After")


def test_reading_an_erased_person_with_a_reason_makes_no_new_key_for_them(api: Api) -> None:
    """A reader's reason is sealed with the person's key: once the key is destroyed, no read,
    history or audit query may make another one (it would open whatever is sealed later)."""
    person, _ = a_person_with_neighbours(api)
    wrapped = wrapped_key(api.settings, person)
    status, body = erase(api, person)
    assert status == 201, body

    for path in (f"/v1/participants/{person}", f"/v1/participants/{person}/history"):
        answer = api.get(path, role="admin", reason="why Stёrtova was erased")
        assert answer.status_code == 200, answer.text
    access = api.get("/v1/audit/access", role="auditor", participant=person).json()

    assert {item["reason"] for item in access["items"] if item["reason"]} == {"erased"}
    assert leftovers(api, person, wrapped) == []


def test_an_erasure_waits_for_a_transaction_older_than_it_and_then_leaves_nothing(
    api: Api, request: pytest.FixtureRequest
) -> None:
    person, _ = a_person_with_neighbours(api)
    wrapped = wrapped_key(api.settings, person)
    release = an_older_transaction(api.settings)
    request.addfinalizer(release)
    done = threading.Timer(1.5, release)
    done.start()

    status, body = erase(api, person)

    done.join()
    assert status == 201, body
    assert leftovers(api, person, wrapped) == []


def test_an_erasure_that_an_older_transaction_keeps_from_finishing_says_so_and_finishes_later(
    api: Api, request: pytest.FixtureRequest
) -> None:
    person, neighbours = a_person_with_neighbours(api)
    wrapped = wrapped_key(api.settings, person)
    release = an_older_transaction(api.settings)
    request.addfinalizer(release)
    answers: list[tuple[int, dict[str, str]]] = []
    erasing = threading.Thread(target=lambda: answers.append(erase(api, person)))
    erasing.start()
    time.sleep(0.5)
    started = time.monotonic()
    other = api.get(f"/v1/participants/{neighbours[0]}", role="admin", reason="check")
    waited = time.monotonic() - started
    erasing.join()
    ((status, body),) = answers

    assert other.status_code == 200, other.text
    assert waited < 0.5, "the erasure's wait held other requests up"
    assert (status, body["code"]) == (503, "erasure_incomplete"), body
    assert "Idempotency-Key" in body["detail"]
    shown = api.get(f"/v1/participants/{person}", role="admin", reason="check").json()
    assert shown["personal_data"] == {"erased": True}
    assert person in erasure_list_path(api.settings).read_text()
    release()

    status, body = erase(api, person)  # the same Idempotency-Key: a replay

    assert (status, body["id"]) == (200, person), body
    assert leftovers(api, person, wrapped) == []
