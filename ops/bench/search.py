# ruff: noqa: RUF001, SIM905 - Russian names, in lists as text
"""Person search over 100,000 people on PostgreSQL, beside a plain indexed lookup.

    python ops/bench/search.py [--people 100000] [--queries 2000]

(`make bench` runs it once after the other measurements.) The people are saved as the ledger
saves them (their `Participant` aggregates, in large batches) and indexed through the blind
index's bulk path (`SqlPersonIndex.put_many`: every token keyed, as a registration keys them);
a thousand more are registered through the full command path, claims and index writes
included, and timed. Their personal data events are left out of the bulk: each needs a key of
its own, made one transaction at a time, which would make the setup take many minutes and
changes nothing the search reads.

Measured, one query at a time in-process: the index's search (the figure with the target, p99
< 50 ms), the search with its 20 best hits loaded (what the route adds: who they are, whether
the caller may see them), and a raw PostgreSQL lookup of the same people by a plaintext name
in a B-tree (the baseline: what a plain indexed lookup costs on this machine).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "ops" / "bench")]

import psycopg  # noqa: E402
from measure import percentile  # noqa: E402
from run import fresh_database, settings_for  # noqa: E402

from api.bootstrap import ledger_for  # noqa: E402
from domain.base import Actor  # noqa: E402
from domain.commands import Context  # noqa: E402
from domain.ledger import Ledger  # noqa: E402
from domain.participant import Participant  # noqa: E402
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
    for start in range(0, bulk, batch):
        made = [(registered(actor), a_person(rng)) for _ in range(min(batch, bulk - start))]
        ledger.save(*(participant for participant, _ in made))
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

        def with_hits(text: str) -> None:
            for found in index.search(text, 100)[:20]:
                ledger.load(Participant, found.participant_id)

        index.search(asked[0], 100)  # the key, the pool's connections
        searched = timed(asked, lambda text: index.search(text, 100))
        loaded = timed(asked, with_hits)
        surnames = [rng.choice(everyone)["full_name"].split()[0] for _ in range(queries)]
        with psycopg.connect(url, autocommit=True) as pg:
            statement = "SELECT participant_id FROM bench_plain WHERE surname = %s LIMIT 100"
            raw = timed(surnames, lambda s: pg.execute(statement, (s,), prepare=True).fetchall())
        ledger.close()
    return {
        "people": people,
        "tokens": float(rows[0]) if rows else 0.0,
        "setup_s": setup,
        "registrations_per_s": registrations,
        "search_p50": percentile(searched, 0.5),
        "search_p99": percentile(searched, 0.99),
        "hits_p50": percentile(loaded, 0.5),
        "hits_p99": percentile(loaded, 0.99),
        "raw_p50": percentile(raw, 0.5),
        "raw_p99": percentile(raw, 0.99),
    }


def printed(r: dict[str, float]) -> str:
    return (
        f"  search over {r['people']:,.0f} people ({r['tokens']:,.0f} tokens, set up in"
        f" {r['setup_s']:.0f} s; {r['registrations_per_s']:,.0f} registrations/s through the"
        f" command path): index p50 {r['search_p50']:.2f} ms, p99 {r['search_p99']:.2f} ms"
        f" (target < 50); with 20 hits loaded p50 {r['hits_p50']:.2f}, p99"
        f" {r['hits_p99']:.2f} ms; raw B-tree lookup p50 {r['raw_p50']:.2f}, p99"
        f" {r['raw_p99']:.2f} ms; ratio p99 {r['search_p99'] / r['raw_p99']:.1f}x"
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
