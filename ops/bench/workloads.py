"""Deterministic workloads at the programs' real scale, as NDJSON commands for `ledger import`.

Each line is {"command": <a command's name (api/command_table.py)>, "params": {...}, "body": {...}}
and may name its result with "as": later lines refer to it as "$name" in params or body.

The rural year (seed 002): 2,659 people in 28 settlements, 849,031 services over 12 months, each
person in one form of care, with the number of people per form from the seed document and
services per person by how often that form is delivered; plus intake assessments and closures.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

YEAR_START = date(2025, 1, 1)
RURAL_PEOPLE = 2_659
RURAL_SERVICES = 849_031
SETTLEMENTS = 28
# people per form of care (seed 002; the rest had mobile doctor visits), and visits a year.
RURAL_FORMS = {
    "semi_stationary_care": (244, 250),
    "home_care": (206, 320),
    "stationary_care": (163, 365),
    "active_longevity": (171, 100),
    "charity_delivery": (74, 12),
    "transport": (1_489, 24),
    "mobile_doctor_visit": (312, 6),
}


def line(
    command: str,
    body: dict[str, Any],
    params: dict[str, str] | None = None,
    name: str | None = None,
) -> str:
    record: dict[str, Any] = {"command": command, "params": params or {}, "body": body}
    if name:
        record["as"] = name
    return json.dumps(record, separators=(",", ":"))


def _shares(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights`, exactly (largest remainder)."""
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    shares = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - shares[i], reverse=True)[
        : total - sum(shares)
    ]:
        shares[i] += 1
    return shares


def rural_year(scale: float = 1.0, seed: int = 2659) -> Iterator[str]:
    """The rural program's year; `scale` < 1 gives a proportionally smaller one (same shape)."""
    rng = random.Random(seed)
    people = max(SETTLEMENTS, round(RURAL_PEOPLE * scale))
    services = round(RURAL_SERVICES * scale)
    forms = [form for form, (n, _) in RURAL_FORMS.items() for _ in range(n)]
    rng.shuffle(forms)
    forms = [forms[i % len(forms)] for i in range(people)]
    counts = _shares(services, [RURAL_FORMS[form][1] for form in forms])
    yield line(
        "define_program",
        {
            "code": "RURAL",
            "name": "World without borders",
            "financing": "budget",
            "period_start": YEAR_START.isoformat(),
            "period_end": "2025-12-31",
            "targets": {"served": people, "services_delivered": services},
        },
        name="program",
    )
    for n, (form, count) in enumerate(zip(forms, counts, strict=True)):
        village = f"village-{n % SETTLEMENTS:02d}"
        person, episode = f"p{n}", f"e{n}"
        yield line(
            "register_participant",
            {
                "target_groups": ["elderly"],
                "settlement": village,
                "birth_year": 1935 + n % 40,
                "prior_residence": "own_home",
            },
            name=person,
        )
        yield line(
            "consent",
            {"scope": "services", "document_ref": f"C-{n}", "occurred_on": YEAR_START.isoformat()},
            {"participant_id": f"${person}"},
        )
        yield line(
            "open_episode",
            {
                "participant_id": f"${person}",
                "program_id": "$program",
                "caseworker": f"cw-{n % 117}",
                "referral_source": "district social protection",
                "occurred_on": YEAR_START.isoformat(),
            },
            name=episode,
        )
        yield line(
            "record_assessment",
            {
                "stage": "intake",
                "instrument": "ADL",
                "scores": {"adl": rng.randint(0, 100)},
                "occurred_on": YEAR_START.isoformat(),
            },
            {"episode_id": f"${episode}"},
        )
        for k in range(count):
            day = YEAR_START + timedelta(days=(k * 365) // max(count, 1))
            yield line(
                "deliver_service",
                {
                    "kind": form,
                    "quantity": 1,
                    "settlement": village,
                    "occurred_on": day.isoformat(),
                },
                {"episode_id": f"${episode}"},
            )
        if n % 10 == 0:
            yield line(
                "close_episode",
                {"reason": "program_ended", "destination": "own_home", "occurred_on": "2025-12-31"},
                {"episode_id": f"${episode}"},
            )


def write(path: Path, lines: Iterator[str]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w") as out:
        for text in lines:
            out.write(text + "\n")
            written += 1
    return written
