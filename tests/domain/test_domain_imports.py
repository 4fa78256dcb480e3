"""The domain imports the standard library (but not its threads or databases), the event-sourcing
library and itself: nothing of how events are stored (store/), served (api/) or read
(projections/), and no third party."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
# Concurrency and storage are store/'s, even from the standard library.
NOT_DOMAIN = {"threading", "asyncio", "concurrent", "multiprocessing", "sqlite3", "socket"}
ALLOWED = {"__future__", "eventsourcing", "domain"} | (set(sys.stdlib_module_names) - NOT_DOMAIN)


def imported(module: Path) -> set[str]:
    """The top-level packages a module imports, wherever in it (TYPE_CHECKING blocks too)."""
    names = set()
    for node in ast.walk(ast.parse(module.read_text(), str(module))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add("domain" if node.level else (node.module or "").split(".")[0])
    return names


@pytest.mark.parametrize("module", sorted(DOMAIN.glob("*.py")), ids=lambda path: path.name)
def test_a_domain_module_imports_only_the_standard_library_eventsourcing_and_the_domain(
    module: Path,
) -> None:
    assert imported(module) <= ALLOWED, imported(module) - ALLOWED


def test_the_rule_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "leaky.py"
    module.write_text("import threading\nfrom store import cooperative\nimport greenlet\n")
    assert imported(module) - ALLOWED == {"threading", "store", "greenlet"}
