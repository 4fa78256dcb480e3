"""Which indicator a delivered service feeds: the built-in kinds by the table below, a kind of a
program's own catalogue by what its entry names. Every delivery also counts as one of
`services_delivered`, whatever its kind."""

from __future__ import annotations

import re
from collections.abc import Mapping

from domain.base import InvalidValueError
from domain.vocabulary import Indicator, ServiceKind

# What a service kind is spelled as, built-in or a program's own: 2 to 64 of a-z, 0-9 and _.
SERVICE_KIND = re.compile(r"[a-z][a-z0-9_]{1,63}")

# The indicator each built-in kind feeds (None: none beyond services_delivered). Consultations
# are how the consulting programs count `consulted`; household skills and workshops are the
# skill events seed 001 promises. Mentoring is counted by the mentors assigned, not by visits.
BUILT_IN_INDICATORS: Mapping[str, str | None] = {
    ServiceKind.HOME_CARE: None,
    ServiceKind.SEMI_STATIONARY_CARE: None,
    ServiceKind.STATIONARY_CARE: None,
    ServiceKind.MOBILE_DOCTOR_VISIT: None,
    ServiceKind.TRANSPORT: None,
    ServiceKind.CHARITY_DELIVERY: None,
    ServiceKind.ACTIVE_LONGEVITY: None,
    ServiceKind.CONSULTATION_PSYCHOLOGIST: Indicator.CONSULTED,
    ServiceKind.CONSULTATION_LAWYER: Indicator.CONSULTED,
    ServiceKind.CONSULTATION_DOCTOR: Indicator.CONSULTED,
    ServiceKind.FOOD_PACKAGE: None,
    ServiceKind.HOUSEHOLD_SKILLS: Indicator.SKILL_EVENTS,
    ServiceKind.WORKSHOP: Indicator.SKILL_EVENTS,
    ServiceKind.MENTORING: None,
    ServiceKind.OUTREACH: None,
    ServiceKind.URGENT_REQUEST: None,
}

# A program's catalogue: kind -> {"name", "unit", "indicator"} (Program.catalogue).
Catalogue = Mapping[str, Mapping[str, str | None]]


class ServiceNotOfferedError(InvalidValueError):
    """The service kind is neither built-in nor in the program's catalogue."""

    rule = "service_not_offered"


def is_built_in(kind: str) -> bool:
    return kind in BUILT_IN_INDICATORS


def indicator_of(kind: str, catalogue: Catalogue) -> str | None:
    """The indicator a delivery of `kind` feeds besides services_delivered (None: none): a
    built-in kind's by the table, a catalogue kind's by its entry, an unknown kind's none."""
    if kind in BUILT_IN_INDICATORS:
        return BUILT_IN_INDICATORS[kind]
    entry = catalogue.get(kind)
    return None if entry is None else entry.get("indicator")


def check_offered(kind: str, catalogue: Catalogue | None, program_code: str = "") -> str:
    """The kind, if built-in or in the catalogue (None: only built-in kinds are offered)."""
    if kind in BUILT_IN_INDICATORS or (catalogue is not None and kind in catalogue):
        return kind
    where = f"program {program_code}" if program_code else "the program"
    raise ServiceNotOfferedError(
        f"{kind[:64]!r} is not a built-in service kind, and {where} has not added it to its"
        " catalogue"
    )
