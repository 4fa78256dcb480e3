"""The blind index against the ledger on both stores: what a failed or crashed registration
leaves behind, retries, and two ledgers (two processes) racing for one SNILS."""

from __future__ import annotations

import threading
import time
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


def test_a_rarer_word_ranks_the_people_of_a_common_one(ledger: Ledger) -> None:
    others = [register(ledger, a_snils(), name=f"Анна {s}") for s in ("Ершова", "Котова", "Мухина")]
    wanted = register(ledger, a_snils(), name="Анна Рыбакова")
    namesake = register(ledger, a_snils(), name="Мария Рыбакова")

    found = index_of(ledger).search("Анна Рыбакова", 10)
    assert found[0].participant_id == wanted
    assert all(found[0].score > f.score for f in found[1:])
    assert namesake in {f.participant_id for f in found}
    assert set(found[0].matched) == {"full_name"}

    only_common = index_of(ledger).search("Анна", 10)
    assert {f.participant_id for f in only_common} == {*others, wanted}


def test_a_person_is_found_by_words_that_are_all_common(ledger: Ledger) -> None:
    """Where every word of the query is common, the person holding all of them still comes
    first: no word's people are cut short (the wanted id sorts after everyone else's)."""
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


def variants_of(ledger: Ledger, name: str) -> list[tuple[Any, ...]]:
    index = index_of(ledger)
    words = sorted({word for _, word in index.keys.variants({"full_name": name})})
    with index.store.transaction() as tx:
        return [
            row
            for word in words
            for row in tx.execute("SELECT variant FROM name_variants WHERE word = ?", (word,))
        ]


def test_a_words_variants_go_with_its_last_holder(ledger: Ledger) -> None:
    index = index_of(ledger)
    first, second = uuid.uuid4(), uuid.uuid4()
    index.put(first, {"full_name": "Евлампия Щукарёва"})
    index.put(second, {"full_name": "Евлампия Щукарёва"})
    assert variants_of(ledger, "Щукарёва")

    index.forget([first])
    assert [f.participant_id for f in index.search("Щукарва", 10)] == [second]  # a typo
    index.put(second, {"full_name": "Евлампия Ёлкина"})  # a correction: the old word unheld
    assert variants_of(ledger, "Щукарёва") == []
    assert variants_of(ledger, "Евлампия")
    index.forget([second])
    assert variants_of(ledger, "Евлампия Ёлкина") == []
    with index.store.transaction() as tx:
        assert tx.execute("SELECT COUNT(*) FROM name_variants")[0][0] == 0


def test_a_registration_racing_the_erasure_of_a_namesake_keeps_its_variants(
    new_ledger: Any,
) -> None:
    """Two processes: one erases the only holder of a name while the other registers someone
    of the same name. The registration is held open after writing (on PostgreSQL a trigger
    sleeps in it) while the erasure drops what it thinks nobody holds: the newcomer must still
    be found by a typo of the name."""
    erasing, registering = index_of(new_ledger()), index_of(new_ledger())
    if erasing.store.postgres:
        with erasing.store.transaction() as tx:
            tx.execute(
                "CREATE FUNCTION slow_variants() RETURNS trigger LANGUAGE plpgsql AS"
                " 'BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END'"
            )
            tx.execute(
                "CREATE TRIGGER slow_variants AFTER INSERT ON name_variants"
                " FOR EACH STATEMENT EXECUTE FUNCTION slow_variants()"
            )
    for round in range(6):
        name = f"Евлампия Щукарёва-{'Ёлкина' if round % 2 else 'Лаптева'}"
        leaving, coming = uuid.uuid4(), uuid.uuid4()
        erasing.put(leaving, {"full_name": name})
        start = threading.Barrier(2)

        def erase(leaving: UUID = leaving, start: threading.Barrier = start) -> None:
            start.wait()
            time.sleep(0.1)  # the registration has written, and waits in the trigger
            erasing.forget([leaving])

        def register_one(
            coming: UUID = coming, name: str = name, start: threading.Barrier = start
        ) -> None:
            start.wait()
            registering.put(coming, {"full_name": name})

        threads = [threading.Thread(target=erase), threading.Thread(target=register_one)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        found = erasing.search("Щукарва", 10)  # that word alone, mistyped
        assert [f.participant_id for f in found] == [coming], round
        registering.forget([coming])
