"""After an erasure the blind index holds nothing of the person: no search finds them, their
SNILS is free, and neither a dump nor the raw files hold their name, SNILS or phone, plain,
hashed or as the index's keyed tokens."""

from __future__ import annotations

import hashlib
import sqlite3
from urllib.parse import parse_qs, urlsplit

import psycopg

from domain.person_tokens import person_tokens, word_variants
from store.person_index import keyed
from tests.api.conftest import Api
from tests.api.test_erasure import whole_database
from tests.api.test_person_search import ids, register, search
from tests.integration.erasure_scan import store_files
from tests.snils import a_snils

ERASED = {
    "full_name": "Евлампия Щукарёва-Ёлкина",
    "birth_date": "1957-11-23",
    "phone": "+7 (351) 777-42-13",
}
KEPT = {"full_name": "Anna Petrova", "birth_date": "1990-01-01", "phone": "+7 900 111"}


def analyze(api: Api) -> None:
    """Gather the planner's statistics on the index, as autovacuum does now and then."""
    url = urlsplit(api.settings.database_url)
    if url.scheme == "sqlite":
        path = url.path[1:].replace(".sqlite3", ".keys.sqlite3")
        with sqlite3.connect(path) as conn:
            conn.execute("ANALYZE")
        conn.close()
        return
    schema = parse_qs(url.query)["schema"][0]
    with psycopg.connect(url._replace(query="").geturl(), autocommit=True) as pg:
        for table in ("person_tokens", "person_lookalikes", "person_claims", "name_variants"):
            pg.execute(f'ANALYZE "{schema}".{table}')


def traces_of(api: Api, personal: dict[str, str], snils: str) -> list[bytes]:
    """Every form the person could sit in the store as: plain, digests of the normalised values,
    and the index's own keyed tokens (the test holds the blind-index key)."""
    digits = snils.replace("-", "").replace(" ", "")
    plain = [
        personal["full_name"], "Евлампия", "Щукарёва", "Ёлкина", "Щукарева", "Елкина",
        "evlampiia", "shukareva", "elkina", digits, snils, personal["phone"], "73517774213",
    ]  # fmt: skip
    forms = [v.encode() for v in plain] + [v.lower().encode() for v in plain]
    forms += [
        digest(v.lower().encode()).hexdigest().encode()
        for v in plain
        for digest in (hashlib.sha256, hashlib.md5)
    ]
    key = api.ledger.person_index.keys.key()
    tokens = person_tokens({**personal, "snils": digits})
    tokens |= {token for pair in word_variants(personal) for token in pair}
    forms += [keyed(key, token).encode() for token in tokens]
    forms += [keyed(key, token).encode() for token in (f"s:{digits}",)]  # the SNILS claim
    return forms


def test_an_erased_person_leaves_no_trace_in_the_index(api: Api) -> None:
    snils = a_snils()
    erased = register(api, {**ERASED, "snils": snils}).json()["id"]
    kept = register(api, {**KEPT, "snils": a_snils()}).json()["id"]
    assert ids(search(api, "Щукарева Елкина")) == [erased]
    assert ids(search(api, snils)) == [erased]
    analyze(api)
    forms = traces_of(api, ERASED, snils)
    before = whole_database(api)
    assert sum(form in before for form in forms) > 10  # the scan would see them

    answer = api.post(f"/v1/participants/{erased}/erase", {"reason": "asked"}, role="admin")
    assert answer.status_code == 201, answer.text

    dump = whole_database(api)
    assert [form for form in forms if form in dump] == []
    raw = store_files(api.settings)
    assert [(name, form) for name, data in raw.items() for form in forms if form in data] == []
    for typed in ("Щукарева", "Evlampiia Elkina", snils, "1957-11-23", "+73517774213"):
        assert ids(search(api, typed)) == [], typed
        assert ids(search(api, typed, role="admin")) == [], typed
    assert ids(search(api, "Anna Petrova")) == [kept]
    again = register(api, {"full_name": "Новая Жизнь", "snils": snils})
    assert again.status_code == 201, again.text
    assert ids(search(api, snils)) == [again.json()["id"]]
