"""The packages import downwards only: api/ -> projections/ -> store/ -> domain/. A module that
reached upwards (the store loading the API's error answers, a read model the HTTP stack) would
make every process that needs the lower package load the upper one too."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.domain.test_domain_imports import imported

ROOT = Path(__file__).resolve().parents[1]
# What each package may not import.
ABOVE = {
    "store": {"api", "projections"},
    "projections": {"api"},
}


@pytest.mark.parametrize(
    "module",
    sorted(path for package in ABOVE for path in (ROOT / package).glob("*.py")),
    ids=lambda path: f"{path.parent.name}/{path.name}",
)
def test_a_module_imports_no_package_above_its_own(module: Path) -> None:
    assert not imported(module) & ABOVE[module.parent.name]
