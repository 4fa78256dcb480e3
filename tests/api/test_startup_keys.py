"""Keys are never made up outside the embedded default: a second host would get other keys, and
personal data written by one host would be unreadable on the other."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.processes import ledger, wait_until
from tests.api.test_request_log import a_free_port
from tests.conftest_stores import ROOT

KEY_VARIABLES = ("LEDGER_KEY_ENCRYPTION_KEY", "LEDGER_SEAL_SIGNING_KEY", "LEDGER_JWT_SECRET")


def bare_env(store_url: str, **more: str) -> dict[str, str]:
    """A host's environment that names the store and nothing else of the ledger's."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    return {**inherited, "PYTHONPATH": str(ROOT), "LEDGER_DATABASE_URL": store_url, **more}


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize(
    ("command", "missing"),
    [(["serve"], KEY_VARIABLES), (["project", "caseloads"], KEY_VARIABLES[:2])],
)
def test_a_postgres_process_without_keys_refuses_to_start_and_makes_none(
    postgres_schema_url: str, tmp_path: Path, command: list[str], missing: tuple[str, ...]
) -> None:
    host = tmp_path / "host"
    host.mkdir()
    env = bare_env(postgres_schema_url, LEDGER_PORT=str(a_free_port()))

    done = run(command, env, host)

    assert done.returncode != 0
    for variable in missing:
        assert variable in done.stderr
    if "LEDGER_JWT_SECRET" not in missing:  # a follower checks no tokens
        assert "LEDGER_JWT_SECRET" not in done.stderr
    assert "ledger keys generate" in done.stderr
    assert "base64.b64encode(os.urandom(32))" in done.stderr
    assert "Traceback" not in done.stderr
    assert files_under(host) == []  # no var/, no key file


def test_a_postgres_server_given_generated_keys_starts_and_writes_no_key_files(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    generated = run(["keys", "generate"], bare_env(postgres_schema_url), tmp_path)
    again = run(["keys", "generate"], bare_env(postgres_schema_url), tmp_path)
    keys = dict(line.split("=", 1) for line in generated.stdout.splitlines())
    assert generated.returncode == 0
    assert sorted(keys) == sorted(KEY_VARIABLES)
    assert all(len(base64.b64decode(value)) == 32 for value in keys.values())
    assert set(keys.values()).isdisjoint(again.stdout.split())  # fresh each time
    host = tmp_path / "host"
    host.mkdir()
    port = a_free_port()
    env = bare_env(postgres_schema_url, LEDGER_PORT=str(port), **keys)

    with ledger("serve", env=env, log=tmp_path / "serve.log", cwd=host):
        wait_until(port, "/health", 200, timeout=90)

    assert files_under(host) == []
    # The welcome's development tokens, signed by a shared secret, stay out of a service's log.
    assert "Development tokens" not in (tmp_path / "serve.log").read_text()


def test_the_embedded_default_still_makes_its_keys_on_first_start(tmp_path: Path) -> None:
    host = tmp_path / "host"
    host.mkdir()
    port = a_free_port()
    env = bare_env("sqlite:///var/ledger.sqlite3", LEDGER_PORT=str(port))
    del env["LEDGER_DATABASE_URL"]  # the default

    with ledger("serve", env=env, log=tmp_path / "serve.log", cwd=host):
        wait_until(port, "/health", 200, timeout=90)

    made = files_under(host / "var")
    for key_file in ("jwt-secret", "key-encryption-key", "seal-signing-key"):
        assert key_file in made
    assert "Development tokens" in (tmp_path / "serve.log").read_text()
