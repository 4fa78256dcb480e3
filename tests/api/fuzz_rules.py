"""Schemathesis hooks for tests/api/test_schema_fuzz.py (loaded by the CLI it runs).

A request the schema allows may still break a rule the schema cannot state: one relating values
to each other or to the record (a date in the future, `to` before `from`, a position the log has
not reached). The server names such a rule by the problem's `code`. Those codes are the only
refusals a schema-valid request may get: any other 400 or 422 is a rule the schema should state.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from api.problems import domain_status
from domain.base import DomainError

# Read-side rules that relate a parameter to the record or to another parameter. A history's
# cursor names positions in the streams of the very record it was given for: a pattern can say
# what a cursor looks like, not which record gave it, so one of another history is refused as
# `invalid_cursor`.
READ_RULES = frozenset({"position_unknown", "invalid_period", "invalid_cursor"})


def _subclasses(cls: type[DomainError]) -> list[type[DomainError]]:
    return [cls, *(found for sub in cls.__subclasses__() for found in _subclasses(sub))]


DOMAIN_RULES = (
    frozenset(
        error.rule for error in _subclasses(DomainError) if domain_status(error("rule")) == 422
    )
    | READ_RULES
)


@schemathesis.check
def schema_valid_requests_are_refused_only_for_domain_rules(
    ctx: Any, response: Any, case: Any
) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    code = response.json().get("code")
    if code not in DOMAIN_RULES:
        raise AssertionError(
            f"A request the schema allows was refused for `{code}`, a rule the schema does not "
            f"state (domain rules the schema cannot state: {sorted(DOMAIN_RULES)})"
        )
    return None
