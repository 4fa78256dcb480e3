# ruff: noqa: RUF001, SIM905 - Russian names, in lists as text
"""Person search over 100,000 people on PostgreSQL, beside a plain indexed lookup.

    python ops/bench/search.py [--people 100000] [--queries 2000]

(`make bench` runs it once after the other measurements.) The people are saved as the ledger
saves them (their `Participant` and sealed `PersonalData` aggregates, in large batches, their
keys made a batch at a time) and indexed through the blind index's bulk path
(`SqlPersonIndex.put_many`: every token keyed, as a registration keys them); a thousand more
are registered through the full command path, claims and index writes included, and timed.

Measured, one query at a time: the search as a caseworker's frontend gets it (the figure with
the target, p99 < 50 ms): `POST /v1/participants/search` to `ledger serve` over a keep-alive
connection, answering the 20 best hits the caller may see with their personal data, each read
recorded in the access log; the index's part alone, in-process; and a raw PostgreSQL lookup of
the same people by a plaintext name in a B-tree (the baseline: what a plain indexed lookup costs
on this machine).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "ops" / "bench")]

import psycopg  # noqa: E402
from http_load import Client  # noqa: E402
from measure import percentile  # noqa: E402
from run import env_for, fresh_database, settings_for  # noqa: E402

from api.auth import mint  # noqa: E402
from api.bootstrap import ledger_for  # noqa: E402
from domain.base import Actor  # noqa: E402
from domain.commands import Context  # noqa: E402
from domain.ledger import Ledger  # noqa: E402
from domain.participant import Participant  # noqa: E402
from domain.personal_data import PersonalData  # noqa: E402
from store.person_index import SqlPersonIndex  # noqa: E402

ROOTS = (
    "Иван Петр Сидор Кузнец Попов Смирн Васил Соколов Михайл Новик Федор Морозов Волков Алексе "
    "Лебед Семен Егор Павл Козл Степан Николаев Орл Андре Макар Никит Захар Зайц Солов Борис "
    "Яковл Григорь Роман Воробь Серге Кузьмин Фрол Александр Дмитри Корол Гусев Киселев Ильин "
    "Максим Поляк Сорокин Виноград Ковал Белов Медвед Антон Тарас Жук Баран Филипп Комар Щукин "
    "Гаврил Тимофе Ершов Карп Афанась Власов Маслов Исак Тихон Аксен Гаврилин Родион Котов Горбун "
    "Кудрявц Блинов Колесник Брагин Овчинник Ёлкин Шубин Щерба Цветков Хохлов Юдин Якушев"
).split()
ENDINGS = ("ов", "ев", "ин", "енко")
GIVEN = (
    "Анна Мария Елена Ольга Наталья Татьяна Ирина Светлана Юлия Алёна Ксения Дарья Полина "
    "Александр Дмитрий Сергей Андрей Алексей Максим Иван Михаил Никита Егор Артём Павел Роман"
).split()
PATRONYMIC = "Петров Иванов Сергеев Алексеев Андреев Николаев Владимиров Михайлов".split()


def a_person(rng: random.Random) -> dict[str, Any]:
    root = rng.choice(ROOTS)
    surname = root if root.endswith(("ов", "ин", "ев")) else root + rng.choice(ENDINGS)
    given = rng.choice(GIVEN)
    female = given.endswith("а") or given.endswith("я")
    if female and not surname.endswith("енко"):
        surname += "а"
    father = rng.choice(PATRONYMIC) + ("на" if female else "ич")
    number = rng.randrange(2_000_000, 999_999_999)
    digits = f"{number:09d}"
    check = sum(int(d) * w for d, w in zip(digits, range(9, 0, -1), strict=True)) % 101 % 100
    return {
        "full_name": f"{surname} {given} {father}",
        "birth_date": date(1940 + rng.randrange(70), 1 + rng.randrange(12), 1 + rng.randrange(28)),
        "snils": f"{digits}{check:02d}",
        "phone": f"+7 9{rng.randrange(10**9):09d}",
    }


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :]  # a letter missing


def a_query(person: dict[str, Any], rng: random.Random) -> str:
    surname, given, _ = person["full_name"].split()
    return rng.choice(
        [
            surname,
            f"{surname} {given}",
            f"{typo(surname, rng)} {given}",
            f"{surname} {person['birth_date'].strftime('%d.%m.%Y')}",
            person["snils"],
            person["phone"],
        ]
    )


def registered(actor: Actor) -> Participant:
    return Participant.register(
        target_groups=["homeless"],
        settlement="Kunashak",
        birth_year=1970,
        prior_residence="street",
        by=actor,
        today=date.today(),
    )


def populate(ledger: Ledger, people: int, rng: random.Random) -> tuple[list[dict[str, Any]], float]:
    """`people` people saved and indexed; returns them and the command path's registrations/s."""
    index = ledger.person_index
    assert isinstance(index, SqlPersonIndex)
    actor = Actor("bench", "caseworker")
    everyone: list[dict[str, Any]] = []
    bulk, batch = people - min(1000, people // 10), 2000
    keyring = ledger.mapper.keyring  # type: ignore[attr-defined]
    for start in range(0, bulk, batch):
        made = [(registered(actor), a_person(rng)) for _ in range(min(batch, bulk - start))]
        data = [
            PersonalData.record(participant_id=p.id, fields=f, by=actor, today=date.today())
            for p, f in made
        ]
        keyring.keys_for([d.id for d in data], create=True)
        ledger.save(*(participant for participant, _ in made), *data)
        index.put_many([(participant.id, fields) for participant, fields in made])
        everyone += [{**fields, "id": participant.id} for participant, fields in made]
    started = time.perf_counter()
    for _ in range(people - bulk):
        fields = a_person(rng)
        result = ledger.register_participant(
            Context(actor), target_groups=["homeless"], settlement="Kunashak",
            birth_year=1970, prior_residence="street", personal_data=dict(fields),
        )  # fmt: skip
        everyone.append({**fields, "id": result.id})
    return everyone, (people - bulk) / (time.perf_counter() - started)


def plain_table(url: str, everyone: list[dict[str, Any]]) -> None:
    """The baseline's table: surnames in plain text, under a B-tree."""
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute("CREATE TABLE bench_plain (surname TEXT, participant_id TEXT)")
        with pg.cursor().copy("COPY bench_plain FROM STDIN") as copy:
            for person in everyone:
                copy.write_row((person["full_name"].split()[0], str(person["id"])))
        pg.execute("CREATE INDEX ON bench_plain (surname)")
        pg.execute("ANALYZE bench_plain")


def timed(queries: list[Any], call: Any) -> list[float]:
    seconds = []
    for query in queries:
        started = time.perf_counter()
        call(query)
        seconds.append(time.perf_counter() - started)
    return seconds


def served(url: str, folder: Path, queries: list[str]) -> list[float]:
    """Each query's time through `ledger serve` (one worker, no read models followed)."""
    port = 19_000 + os.getpid() % 1000
    env = {
        **env_for(url, folder),
        "LEDGER_PROJECTIONS_IN_PROCESS": "false",
        "LEDGER_PORT": str(port),
        "LEDGER_WORKERS": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = Client(port, mint(settings_for(url, folder), "bench", ["caseworker"], []))
        for _ in range(600):  # up: it answers a search
            try:
                if client.call("POST", "/v1/participants/search", {"query": queries[0]})["hits"]:
                    break
            except (OSError, RuntimeError):
                client = Client(port, client.headers["Authorization"].split()[1])
                time.sleep(0.1)
        return timed(
            queries,
            lambda text: client.call(
                "POST", "/v1/participants/search", {"query": text, "limit": 20}
            ),
        )
    finally:
        server.terminate()
        server.wait(30)


def search_bench(people: int = 100_000, queries: int = 2000) -> dict[str, float]:
    rng = random.Random(19)
    with fresh_database() as url, tempfile.TemporaryDirectory() as tmp:
        ledger = ledger_for(settings_for(url, Path(tmp)))
        started = time.perf_counter()
        everyone, registrations = populate(ledger, people, rng)
        setup = time.perf_counter() - started
        plain_table(url, everyone)
        with psycopg.connect(url, autocommit=True) as pg:
            rows = pg.execute("SELECT count(*) FROM person_tokens").fetchone()
            # What autovacuum does to a table that was inserted into: its visibility map set,
            # the lookups index-only (ops/bench/DECISIONS.md, person search).
            pg.execute("VACUUM ANALYZE person_tokens")
        asked = [a_query(rng.choice(everyone), rng) for _ in range(queries)]
        index = ledger.person_index
        index.search(asked[0], 100)  # the key, the pool's connections
        searched = timed(asked, lambda text: index.search(text, 100))
        ledger.close()
        answered = served(url, Path(tmp), asked)
        surnames = [rng.choice(everyone)["full_name"].split()[0] for _ in range(queries)]
        with psycopg.connect(url, autocommit=True) as pg:
            statement = "SELECT participant_id FROM bench_plain WHERE surname = %s LIMIT 100"
            raw = timed(surnames, lambda s: pg.execute(statement, (s,), prepare=True).fetchall())
    return {
        "people": people,
        "tokens": float(rows[0]) if rows else 0.0,
        "setup_s": setup,
        "registrations_per_s": registrations,
        "search_p50": percentile(searched, 0.5),
        "search_p99": percentile(searched, 0.99),
        "http_p50": percentile(answered, 0.5),
        "http_p99": percentile(answered, 0.99),
        "raw_p50": percentile(raw, 0.5),
        "raw_p99": percentile(raw, 0.99),
    }


def printed(r: dict[str, float]) -> str:
    return (
        f"  search over {r['people']:,.0f} people ({r['tokens']:,.0f} tokens, set up in"
        f" {r['setup_s']:.0f} s; {r['registrations_per_s']:,.0f} registrations/s through the"
        f" command path): POST /v1/participants/search p50 {r['http_p50']:.2f} ms, p99"
        f" {r['http_p99']:.2f} ms (target < 50); the index alone p50 {r['search_p50']:.2f},"
        f" p99 {r['search_p99']:.2f} ms; raw B-tree lookup p50 {r['raw_p50']:.2f}, p99"
        f" {r['raw_p99']:.2f} ms; ratio p99 {r['http_p99'] / r['raw_p99']:.1f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    print(printed(search_bench(args.people, args.queries)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
