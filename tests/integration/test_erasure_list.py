"""A restored backup forgets erased people again: the erasure list, kept outside the store, and
`ledger erasures reapply` run as the runbook says, before the restored copy serves anyone."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import psycopg

from api.keys import kek
from api.store_env import erasure_list_path
from tests.api.conftest import Api, serve
from tests.conftest_stores import process_env
from tests.integration.erasure_scan import store_files, traces, wrapped_key
from tests.integration.test_erasure_leaves_nothing import (
    PERSON,
    VALUES,
    a_person_with_neighbours,
    erase,
)


def reapply(store_url: str, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`ledger erasures reapply` in a process of its own, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "erasures", "reapply", *args],
        check=False,
        env=process_env(store_url, folder),
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def erasures_recorded(api: Api, person: str) -> int:
    return sum(type(event).__name__ == "Erased" for event in api.ledger.events.get(UUID(person)))


def check_forgotten(
    store_url: str, folder: Path, person: str, neighbour: str, wrapped: str
) -> None:
    """The restored copy, served again: the person is erased once, nothing of them in its files."""
    with serve(store_url, folder) as api:
        shown = api.get(f"/v1/participants/{person}", role="admin", reason="check").json()
        assert shown["personal_data"] == {"erased": True}
        kept = api.get(f"/v1/participants/{neighbour}", role="admin", reason="check").json()
        assert kept["personal_data"]["full_name"].split()[0] in ("Before", "After")
        assert erasures_recorded(api, person) == 1
        found = traces(
            store_files(api.settings),
            wrapped=wrapped,
            kek=kek(api.settings),
            participant_id=person,
            values=VALUES,
        )
        assert found == []


def test_a_restored_sqlite_copy_forgets_the_erased_person_again_once_the_list_is_reapplied(
    tmp_path: Path,
) -> None:
    store_url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    with serve(store_url, tmp_path) as api:
        person, neighbours = a_person_with_neighbours(api)
        wrapped = wrapped_key(api.settings, person)
    backup = tmp_path / "backup"
    backup.mkdir()
    for file in tmp_path.glob("ledger*.sqlite3*"):
        shutil.copy2(file, backup / file.name)
    with serve(store_url, tmp_path) as api:
        status, body = erase(api, person)
        assert status == 201, body
    listed = (tmp_path / "erasures.list").read_text()
    assert listed.startswith(f"{person}\t"), listed

    for file in tmp_path.glob("ledger*.sqlite3*"):
        file.unlink()
    for file in backup.iterdir():
        shutil.copy2(file, tmp_path / file.name)
    restored = {name: data for name, data in store_files(api.settings).items() if "ledger" in name}
    assert wrapped.encode() in b"".join(restored.values()), "the backup holds the key"

    done = reapply(store_url, tmp_path)

    assert done.returncode == 0, done.stderr
    assert f"recorded again: {person}" in done.stdout
    again = reapply(store_url, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "recorded again" not in again.stdout
    check_forgotten(store_url, tmp_path, person, neighbours[0], wrapped)


def test_a_restored_postgres_dump_forgets_the_erased_person_again_once_the_list_is_reapplied(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    url = urlsplit(postgres_schema_url)
    schema = parse_qs(url.query)["schema"][0]
    database = url._replace(query="").geturl()
    listed = tmp_path / "elsewhere" / "erasures.list"
    settings = {"erasure_list_file": listed}
    with serve(postgres_schema_url, tmp_path, **settings) as api:
        person, neighbours = a_person_with_neighbours(api)
        wrapped = wrapped_key(api.settings, person)
    dump = subprocess.run(
        ["pg_dump", "-n", schema, "-d", database], check=True, capture_output=True, text=True
    ).stdout
    with serve(postgres_schema_url, tmp_path, **settings) as api:
        status, body = erase(api, person)
        assert status == 201, body

    with psycopg.connect(database, autocommit=True) as pg:
        pg.execute(f'DROP SCHEMA "{schema}" CASCADE')
    subprocess.run(
        ["psql", "-q", "-d", database], input=dump, check=True, capture_output=True, text=True
    )

    done = reapply(postgres_schema_url, tmp_path, str(listed))

    assert done.returncode == 0, done.stderr
    assert f"recorded again: {person}" in done.stdout
    assert person in listed.read_text()
    check_forgotten(postgres_schema_url, tmp_path, person, neighbours[0], wrapped)


def test_only_recorded_erasures_are_listed_and_a_line_holds_no_personal_data(
    tmp_path: Path,
) -> None:
    store_url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    with serve(store_url, tmp_path) as api:
        person, _ = a_person_with_neighbours(api)
        unknown = "00000000-0000-4000-8000-000000000000"
        refused = api.post(f"/v1/participants/{unknown}/erase", {"reason": "x"}, role="admin")
        assert refused.status_code == 404, refused.text
        named = api.post(
            f"/v1/participants/{person}/erase", {"reason": "asked"}, role="admin",
            **{"X-Request-ID": f"erase {PERSON['address']}"},
        )  # fmt: skip
        assert named.status_code == 201, named.text
        again = api.post(f"/v1/participants/{person}/erase", {"reason": "asked"}, role="admin")
        assert again.json()["code"] == "participant_erased"
        lines = erasure_list_path(api.settings).read_text().splitlines()

    assert len(lines) == 1, lines
    participant_id, at, request_id = lines[0].split("\t")
    assert (participant_id, request_id) == (person, "-")
    assert at.endswith("+00:00")
    for value in VALUES:
        assert value not in lines[0]


def test_reapply_refuses_a_list_it_cannot_read_and_names_the_line(tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    listed = tmp_path / "erasures.list"
    listed.write_text(
        "# erased on request\n00000000-0000-4000-8000-000000000001\t2024-06-01\t-\nIvan Ivanov\n"
    )

    bad = reapply(store_url, tmp_path)
    missing = reapply(store_url, tmp_path, str(tmp_path / "typo.list"))

    assert (bad.returncode, bad.stdout) == (2, "")
    assert f"{listed}:3: not a participant id" in bad.stderr
    assert "Ivan" not in bad.stderr
    assert missing.returncode == 2
    assert "typo.list" in missing.stderr


def test_an_erasure_that_cannot_be_listed_is_not_acknowledged_until_it_is(tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the list's folder should be")
    listed = blocked / "erasures.list"
    with serve(store_url, tmp_path, erasure_list_file=listed) as api:
        person, _ = a_person_with_neighbours(api)

        status, body = erase(api, person)

        assert (status, body["code"]) == (503, "erasure_not_listed"), body
        assert str(listed) in body["detail"]
        shown = api.get(f"/v1/participants/{person}", role="admin", reason="check").json()
        assert shown["personal_data"] == {"erased": True}
        blocked.unlink()

        status, body = erase(api, person)  # the same Idempotency-Key

        assert (status, body["id"]) == (200, person), body
        assert listed.read_text().startswith(f"{person}\t")
