"""The blind index against the ledger on both stores: what a failed or crashed registration
leaves behind, retries, and two ledgers (two processes) racing for one SNILS."""

from __future__ import annotations

import threading
import uuid
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.bootstrap import ledger_for
from domain.base import Actor
from domain.commands import Context
from domain.ledger import Ledger
from domain.person_claims import STALE_CLAIM_SECONDS
from domain.personal_data import DuplicatePersonError, normalise_snils
from store.person_index import SHAPE_NAME, SqlPersonIndex
from store.person_reindex import reindex
from tests.conftest_stores import settings_for
from tests.snils import a_snils

CASEWORKER = Actor("caseworker-1", "caseworker")


def register(
    ledger: Ledger, snils: str, key: str | None = None, name: str = "Анна Ёжикова"
) -> UUID:
    return ledger.register_participant(
        Context(CASEWORKER, idempotency_key=key),
        target_groups=["homeless"],
        settlement="Kunashak",
        birth_year=1980,
        prior_residence="street",
        personal_data={"full_name": name, "snils": snils, "birth_date": date(1980, 2, 3)},
    ).id


def index_of(ledger: Ledger) -> SqlPersonIndex:
    index = ledger.person_index
    assert isinstance(index, SqlPersonIndex)
    return index


def age_claims(ledger: Ledger, seconds: float) -> None:
    """Make every claim as old as a crashed command's would be by now."""
    with index_of(ledger).store.transaction() as tx:
        tx.execute("UPDATE person_claims SET claimed_at = claimed_at - ?", (int(seconds),))


def test_a_crashed_registration_is_found_by_nobody_and_frees_its_snils_in_time(
    ledger: Ledger,
) -> None:
    snils = normalise_snils(a_snils())
    ghost = uuid.uuid4()  # indexed and claimed, then the process died before the save
    index_of(ledger).put(ghost, {"full_name": "Призрак Ёжиков", "snils": snils})
    assert index_of(ledger).claim_snils(snils, ghost).holder == ghost
    with pytest.raises(DuplicatePersonError) as refused:  # it may still be saving
        register(ledger, snils)
    assert refused.value.existing_id == ghost
    age_claims(ledger, STALE_CLAIM_SECONDS + 5)
    person = register(ledger, snils)
    # The ghost's tokens stay until a rebuild; readers drop ids that are no person.
    assert person in [found.participant_id for found in index_of(ledger).search(snils, 10)]


def test_a_registration_sent_again_with_its_key_answers_as_first(ledger: Ledger) -> None:
    snils = a_snils()
    first = register(ledger, snils, key="k-1")
    assert register(ledger, snils, key="k-1") == first
    with pytest.raises(DuplicatePersonError):
        register(ledger, snils, key="k-2")


def test_a_refused_registration_leaves_nothing_in_the_index(ledger: Ledger) -> None:
    snils = a_snils()
    register(ledger, snils)
    with pytest.raises(DuplicatePersonError):
        register(ledger, snils, name="Совсем Другая")
    assert index_of(ledger).search("Совсем Другая", 10) == []


def test_two_ledgers_racing_for_one_snils_save_one_person(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    """Two processes on PostgreSQL (SQLite has one writing process; the HTTP test races there)."""
    settings = settings_for(postgres_schema_url, tmp_path)
    ledgers = [ledger_for(settings), ledger_for(settings)]
    snils = a_snils()
    outcomes: list[Any] = []
    start = threading.Barrier(6)

    def one(ledger: Ledger) -> None:
        start.wait()
        try:
            outcomes.append(register(ledger, snils))
        except Exception as error:
            outcomes.append(error)

    threads = [threading.Thread(target=one, args=(ledgers[n % 2],)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    saved = [o for o in outcomes if isinstance(o, UUID)]
    assert len(saved) == 1, outcomes
    assert all(isinstance(o, DuplicatePersonError) for o in outcomes if o not in saved), outcomes
    found = index_of(ledgers[0]).search(snils, 10)
    assert [f.participant_id for f in found] == saved
    for ledger in ledgers:
        ledger.close()


def test_a_reindex_from_the_log_drops_ghosts_and_erased_people_and_keeps_claims(
    ledger: Ledger,
) -> None:
    kept_snils, erased_snils = a_snils(), a_snils()
    kept = register(ledger, kept_snils)
    erased = register(ledger, erased_snils, name="Стёртая Персона")
    ledger.erase_participant(Context(Actor("admin-1", "admin")), erased, reason="asked")
    ghost = uuid.uuid4()
    index_of(ledger).put(ghost, {"full_name": "Анна Ёжикова", "snils": "11223344595"})
    report = reindex(ledger)
    assert (report.people, report.shared_snils) == (1, [])
    found = [f.participant_id for f in index_of(ledger).search("Анна Ежикова", 10)]
    assert found == [kept]
    assert index_of(ledger).search(erased_snils, 10) == []
    with pytest.raises(DuplicatePersonError):
        register(ledger, kept_snils)
    register(ledger, erased_snils)


def test_a_common_name_is_checked_among_the_people_a_rarer_word_found(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a token held by more than COMMON people is not read whole (the rule is the
    same everywhere: the best matches come first)."""
    monkeypatch.setattr("store.person_index.COMMON", 2)
    others = [register(ledger, a_snils(), name=f"Анна {s}") for s in ("Ершова", "Котова", "Мухина")]
    wanted = register(ledger, a_snils(), name="Анна Рыбакова")
    namesake = register(ledger, a_snils(), name="Мария Рыбакова")

    found = index_of(ledger).search("Анна Рыбакова", 10)
    assert found[0].participant_id == wanted
    assert all(found[0].score > f.score for f in found[1:])
    assert namesake in {f.participant_id for f in found}
    assert set(found[0].matched) == {"full_name"}

    only_common = index_of(ledger).search("Анна", 10)
    assert only_common, "a query of a common word alone still finds people"
    assert {f.participant_id for f in only_common} <= {*others, wanted}


def test_a_person_is_found_by_words_that_are_all_common(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where every word of the query is common, the person holding all of them still comes
    first: no word's people are cut short (the wanted id sorts after everyone else's)."""
    monkeypatch.setattr("store.person_index.COMMON", 2)
    index = index_of(ledger)
    for n, name in enumerate(["Анна Ершова"] * 4 + ["Мария Рыбакова"] * 4):
        index.put(UUID(int=n + 1), {"full_name": name})
    wanted = UUID(int=2**128 - 1)
    index.put(wanted, {"full_name": "Анна Рыбакова"})

    found = index.search("Анна Рыбакова", 20)
    assert found[0].participant_id == wanted
    assert all(found[0].score > f.score for f in found[1:])
    assert len(found) == 9


def test_an_index_of_other_tokens_says_so_until_made_anew(
    new_ledger: Any, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = new_ledger()
    assert not index_of(ledger).outdated
    register(ledger, normalise_snils(a_snils()))
    index = index_of(ledger)
    with index.store.transaction() as tx:  # as an earlier version's tokenising recorded it
        index.store.record_shape(tx, SHAPE_NAME, "tokens of another version")

    restarted = new_ledger()
    assert index_of(restarted).outdated
    assert "ledger reindex" in caplog.text
    reindex(restarted)
    assert not index_of(restarted).outdated
    assert not index_of(new_ledger()).outdated
