"""`ledger --version` names the version pyproject.toml declares, and loads no HTTP stack."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from api import cli
from tests.api.test_cli_without_http import ledger_command

ROOT = Path(__file__).resolve().parents[2]


def declared_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        version: str = tomllib.load(file)["project"]["version"]
    return version


def test_version_prints_the_version_pyproject_declares() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == f"ledger {declared_version()}\n"
    assert done.stderr == ""


def test_version_needs_no_keys_and_loads_neither_fastapi_nor_uvicorn() -> None:
    # No LEDGER_ keys in the environment: --version answers before any setting is read.
    env = {name: value for name, value in os.environ.items() if not name.startswith("LEDGER_")}

    code, output = ledger_command("--version", env=env, cwd=ROOT)

    assert code == 0, output
    assert output == f"ledger {declared_version()}\nHTTP stack loaded: none\n"


def test_version_is_unknown_when_the_distribution_is_not_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "DISTRIBUTION", "service-episode-ledger-not-installed")

    assert cli._version() == "unknown"
