"""Writes the compatibility fixture: a ledger made over HTTP by the code of the checkout it runs in.

    cd CHECKOUT && PYTHONPATH=$PWD python /path/to/tests/compat/make_fixture.py OUT_DIR

(CHECKOUT: the code the fixture stands for; the committed one was written by e235f19.)

It starts the API on a fresh SQLite store with fixed development keys, sends a realistic set of
commands (every kind, an erasure, idempotent retries, an episode and a facility long enough to
have snapshots), then writes OUT_DIR/log.json (the stored rows, as the store holds them) and
OUT_DIR/answers.json (what the reads answered, and the ids and moments they name). A later version
of the code loads the rows into a new store and must answer the same: see
test_log_written_before.py. Regenerate only on purpose, with the code the fixture stands for.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.api.conftest import Api, serve

# Development keys, fixed so that the fixture can be read again: never use them for real data.
KEYS = {
    name: base64.b64encode(hashlib.sha256(f"compat fixture {name}".encode()).digest()).decode()
    for name in ("kek", "seal", "jwt")
}
RURAL, URBAN = "RURAL", "URBAN"
STAFF = "caseworker-1"
# Checkpoints only when asked (each written at a moment of this run, not of the log).
OVERRIDES = {"checkpoint_every_events": 1_000_000, "checkpoint_every_seconds": 0.2}
START = date(2025, 1, 6)
BIG_EPISODE_SERVICES = 265  # past the Episode's snapshot interval (250 events)
CAPACITY_CHANGES = 112  # past the Facility's snapshot interval (100 events)
KINDS = ["home_care", "transport", "food_package", "consultation_lawyer", "workshop", "outreach"]


def on(days: int) -> str:
    return (START + timedelta(days=days)).isoformat()


class Driver:
    """Commands and reads as a given role; every answer checked."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def send(
        self,
        path: str,
        body: dict[str, Any],
        role: str = "caseworker",
        programs: list[str] | None = None,
        sub: str = STAFF,
        key: str | None = None,
        expect: int = 201,
    ) -> dict[str, Any]:
        headers = self.api.as_(role, programs or [RURAL, URBAN], sub)
        if key is not None:
            headers["Idempotency-Key"] = key
        response = self.api.http.post(path, json=body, headers=headers)
        assert response.status_code == expect, (path, response.status_code, response.text)
        answer: dict[str, Any] = response.json()
        return answer

    def read(
        self,
        path: str,
        role: str = "caseworker",
        programs: list[str] | None = None,
        sub: str = "reader-1",
        **params: Any,
    ) -> httpx.Response:
        headers = self.api.as_(role, programs or [RURAL, URBAN], sub)
        response = self.api.http.get(path, params=params, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response


def write(d: Driver) -> dict[str, Any]:
    """The commands; returns the ids, the idempotent commands and the moment between writes."""
    ids: dict[str, Any] = {}
    admin: dict[str, Any] = {"role": "admin", "programs": ["*"], "sub": "admin-1"}
    every_target = {
        "served": 120, "housed": 30, "consulted": 90, "trained": 25, "employed": 15,
        "no_return_to_institution": 40, "applications_withdrawn": 5,
        "course_started_within_limit": 20, "new_services": 3, "skill_events": 60,
        "mentors": 10, "services_delivered": 2000,
    }  # fmt: skip
    ids["rural"] = d.send("/v1/programs", {
        "code": RURAL, "name": "Rural support", "financing": "grant",
        "period_start": "2025-01-01", "period_end": "2026-12-31", "targets": every_target,
        "course_start_limit_days": 7,
    }, **admin)["id"]  # fmt: skip
    ids["urban"] = d.send("/v1/programs", {
        "code": URBAN, "name": "Urban housing", "financing": "budget",
        "period_start": "2025-01-01", "period_end": "2025-12-31",
        "targets": {"served": 50, "housed": 20},
    }, **admin)["id"]  # fmt: skip
    d.send(f"/v1/programs/{ids['rural']}/targets", {
        "targets": {"housed": 35, "employed": 18}, "reason": "grant amended",
    }, **admin)  # fmt: skip

    ids["hotel"] = d.send("/v1/facilities", {
        "kind": "social_hotel", "name": "Hotel Ural", "settlement": "Chelyabinsk",
        "capacity": 3, "occurred_on": on(0),
    }, **admin)["id"]  # fmt: skip
    ids["flat"] = d.send("/v1/facilities", {
        "kind": "training_apartment", "name": "Flat 7", "settlement": "Kopeysk",
        "capacity": 1, "occurred_on": on(0),
    }, **admin)["id"]  # fmt: skip
    d.send(f"/v1/facilities/{ids['flat']}/capacity",
           {"capacity": 2, "reason": "second room", "occurred_on": on(10)}, **admin)  # fmt: skip
    for n in range(CAPACITY_CHANGES):  # the hotel's beds vary through its first months
        d.send(f"/v1/facilities/{ids['hotel']}/capacity", {
            "capacity": 3 + n % 3, "reason": f"rooms in use, week {n}", "occurred_on": on(n),
        }, **admin)  # fmt: skip

    def person(name: str, snils: str, **extra: Any) -> str:
        return str(d.send("/v1/participants", {
            "target_groups": ["orphan_care_leaver", "low_income"], "settlement": "Kopeysk",
            "birth_year": 2003, "prior_residence": "orphan_care",
            "personal_data": {"full_name": name, "snils": snils, "phone": "+7 900 111 22 33",
                              "birth_date": "2003-04-05", "address": "Lenina 1, Kopeysk"},
            **extra,
        })["id"])  # fmt: skip

    def consent(pid: str, days: int) -> None:
        d.send(f"/v1/participants/{pid}/consents", {
            "scope": "services", "document_ref": f"C-{pid[:4]}", "occurred_on": on(days),
        })  # fmt: skip

    def episode(pid: str, program: str, days: int) -> str:
        return str(d.send("/v1/episodes", {
            "participant_id": pid, "program_id": ids[program], "caseworker": STAFF,
            "referral_source": "self", "occurred_on": on(days),
        })["id"])  # fmt: skip

    # Anna: every episode command, and a closure.
    ids["anna"] = person("Anna Petrova", "112-233-445 95")
    consent(ids["anna"], 119)
    ids["anna_episode"] = ep_a = episode(ids["anna"], "rural", 120)
    e = f"/v1/episodes/{ep_a}"
    for stage, days in (("intake", 121), ("interim", 160), ("final", 240)):
        d.send(e + "/assessments", {"stage": stage, "instrument": "SSM", "occurred_on": on(days),
                                    "scores": {"housing": days % 5, "income": 2}})  # fmt: skip
    d.send(e + "/plans", {"goals": ["own flat", "a job"], "review_on": on(200),
                          "occurred_on": on(122)})  # fmt: skip
    accepted = d.send(e + "/referrals", {"specialist": "psychologist", "occurred_on": on(123)})
    declined = d.send(e + "/referrals", {"specialist": "lawyer", "occurred_on": on(123)})
    d.send(f"{e}/referrals/{accepted['id']}/accept", {"occurred_on": on(125)})
    d.send(f"{e}/referrals/{accepted['id']}/complete", {"occurred_on": on(150)})
    d.send(f"{e}/referrals/{declined['id']}/decline",
           {"occurred_on": on(126), "reason": "no lawyer in reach"})  # fmt: skip
    placement = d.send(e + "/placements", {"facility_id": ids["hotel"], "occurred_on": on(130)})
    d.send(f"{e}/placements/{placement['id']}/end",
           {"destination": "independent_living", "occurred_on": on(230)})  # fmt: skip
    done = d.send(e + "/courses", {"title": "Cooking", "hours": 36, "format": "in_person",
                                   "occurred_on": on(131)})  # fmt: skip
    d.send(f"{e}/courses/{done['id']}/enrol", {"occurred_on": on(135)})
    d.send(f"{e}/courses/{done['id']}/complete", {"occurred_on": on(170)})
    dropped = d.send(e + "/courses", {"title": "Driving", "hours": 72, "format": "mixed",
                                      "occurred_on": on(140)})  # fmt: skip
    d.send(f"{e}/courses/{dropped['id']}/enrol", {"occurred_on": on(142)})
    d.send(f"{e}/courses/{dropped['id']}/drop", {"occurred_on": on(150), "reason": "moved"})
    job = d.send(e + "/jobs", {"employment": "open_market", "occupation": "baker",
                               "occurred_on": on(180)})  # fmt: skip
    d.send(f"{e}/jobs/{job['id']}/end", {"reason": "seasonal", "occurred_on": on(220)})
    d.send(e + "/jobs", {"employment": "supported_workshop", "occupation": "packer",
                         "occurred_on": on(225)})  # fmt: skip
    for n, kind in enumerate(KINDS):
        d.send(e + "/services", {"kind": kind, "quantity": n + 1, "settlement": "Kopeysk",
                                 "occurred_on": on(121 + n)})  # fmt: skip
    d.send(e + "/mentors", {"mentor_ref": "volunteer-17", "occurred_on": on(127)})
    d.send(e + "/caseworker", {"caseworker": "caseworker-2", "occurred_on": on(190)})
    time.sleep(0.05)
    ids["moment"] = datetime.now(UTC).isoformat()  # between writes: episodes as known then
    time.sleep(0.05)
    mistaken = d.send(e + "/services", {"kind": "transport", "settlement": "Miass",
                                        "occurred_on": on(200)})  # fmt: skip
    entry = next(
        item["event_id"]
        for item in d.read(e + "/history", limit=500).json()["items"]
        if item["version"] == mistaken["version"]
    )
    ids["voided_entry"] = entry
    d.send(f"{e}/entries/{entry}/void", {"reason": "entered on the wrong person"})
    d.send(e + "/close", {"reason": "goals_achieved", "destination": "independent_living",
                          "occurred_on": on(245)})  # fmt: skip

    # Boris: the long episode (snapshots), a bed held on.
    ids["boris"] = person("Boris Sidorov", "223-344-556 39")
    consent(ids["boris"], 59)
    ids["boris_episode"] = ep_b = episode(ids["boris"], "rural", 60)
    d.send(f"/v1/episodes/{ep_b}/placements", {"facility_id": ids["flat"], "occurred_on": on(61)})
    for n in range(BIG_EPISODE_SERVICES):
        d.send(f"/v1/episodes/{ep_b}/services", {
            "kind": KINDS[n % len(KINDS)], "quantity": 1 + n % 4,
            "settlement": ["Kopeysk", "Miass", "Zlatoust"][n % 3], "occurred_on": on(60 + n),
        }, sub=["caseworker-1", "caseworker-3"][n % 2])  # fmt: skip

    # Vera, urban: institutional events, a corrected name, a withdrawn consent.
    ids["vera"] = person("Vera Ivanova", "334-455-667 84")
    consent(ids["vera"], 89)
    ids["vera_episode"] = ep_v = episode(ids["vera"], "urban", 90)
    d.send(f"/v1/participants/{ids['vera']}/institutional-events", {
        "event": "application_withdrawn", "institution_kind": "nursing_home", "occurred_on": on(95),
    })  # fmt: skip
    d.send(f"/v1/participants/{ids['vera']}/institutional-events", {
        "event": "admission", "institution_kind": "hospital", "occurred_on": on(180),
    })  # fmt: skip
    d.send(f"/v1/participants/{ids['vera']}/personal-data/corrections", {
        "changes": {"full_name": "Vera Ivanova-Smirnova", "phone": "+7 900 999 00 00"},
        "reason": "married", "occurred_on": on(100),
    })  # fmt: skip
    d.send(f"/v1/participants/{ids['vera']}/consents", {
        "scope": "services", "document_ref": "C-W", "action": "withdrawn", "occurred_on": on(200),
    })  # fmt: skip
    d.send(f"/v1/episodes/{ep_v}/placements", {"facility_id": ids["hotel"], "occurred_on": on(115)})
    d.send(f"/v1/episodes/{ep_v}/services", {"kind": "home_care", "settlement": "Chelyabinsk",
                                             "occurred_on": on(96)})  # fmt: skip

    # Gleb: served, then erased.
    ids["gleb"] = person("Gleb Orlov", "445-566-778 28")
    consent(ids["gleb"], 99)
    ids["gleb_episode"] = episode(ids["gleb"], "urban", 100)
    d.send(f"/v1/episodes/{ids['gleb_episode']}/services",
           {"kind": "food_package", "settlement": "Miass", "occurred_on": on(101)})  # fmt: skip
    d.send(f"/v1/participants/{ids['gleb']}/erase", {"reason": "asked to be forgotten"},
           **admin)  # fmt: skip

    # Commands sent with an Idempotency-Key, each sent twice: the second is a replay.
    retried = [
        ("/v1/participants", {
            "target_groups": ["homeless"], "settlement": "Miass", "birth_year": 1980,
            "prior_residence": "street", "personal_data": {"full_name": "Dmitri Kozlov"},
        }),
    ]  # fmt: skip
    idempotent: list[dict[str, Any]] = []

    def twice(path: str, body: dict[str, Any], key: str) -> dict[str, Any]:
        first = d.send(path, body, key=key)
        again = d.send(path, body, key=key, expect=200)
        idempotent.append({
            "path": path, "body": body, "key": key,
            "as": {"role": "caseworker", "programs": [RURAL, URBAN], "sub": STAFF},
            "first": first, "replay": again,
        })  # fmt: skip
        return first

    ids["dmitri"] = twice(*retried[0], key="compat-register-dmitri")["id"]
    twice(f"/v1/participants/{ids['dmitri']}/consents", {
        "scope": "services", "document_ref": "C-D", "occurred_on": on(149),
    }, key="compat-consent-dmitri")  # fmt: skip
    ids["dmitri_episode"] = twice("/v1/episodes", {
        "participant_id": ids["dmitri"], "program_id": ids["rural"], "caseworker": STAFF,
        "referral_source": "outreach team", "occurred_on": on(150),
    }, key="compat-open-dmitri")["id"]  # fmt: skip
    e = f"/v1/episodes/{ids['dmitri_episode']}"
    twice(e + "/services", {"kind": "outreach", "quantity": 2, "settlement": "Miass",
                            "occurred_on": on(151)}, key="compat-service-dmitri")  # fmt: skip
    twice(e + "/placements", {"facility_id": ids["hotel"], "occurred_on": on(152)},
          key="compat-place-dmitri")  # fmt: skip
    twice(e + "/courses", {"title": "Budgeting", "hours": 16, "format": "distance",
                           "occurred_on": on(153)}, key="compat-course-dmitri")  # fmt: skip
    ids["idempotent"] = idempotent
    return ids


def reads(d: Driver, ids: dict[str, Any], head: int) -> dict[str, Any]:
    """Every read whose answer the fixture keeps, by a name the test uses."""
    auditor = {"role": "auditor", "programs": ["*"]}
    admin = {"role": "admin", "programs": ["*"]}
    supervisor = {"role": "supervisor"}
    staff = {"role": "caseworker", "programs": [RURAL, URBAN], "sub": "reader-1"}
    p, ep = "/v1/participants/", "/v1/episodes/"
    wanted: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
        "participant": (p + ids["anna"], {}, {}),
        "participant_masked": (p + ids["anna"], auditor, {}),
        "participant_for_audit": (p + ids["anna"], auditor, {"reason": "annual audit"}),
        "participant_corrected": (p + ids["vera"], {}, {}),
        "participant_erased": (p + ids["gleb"], admin, {"reason": "erasure check"}),
        "participant_as_known": (p + ids["anna"], {}, {"known_at": ids["moment"]}),
        "history": (p + ids["anna"] + "/history", {}, {"limit": 500}),
        "history_masked": (p + ids["anna"] + "/history", auditor, {"limit": 500}),
        "history_for_audit": (
            p + ids["anna"] + "/history", auditor, {"limit": 500, "reason": "annual audit"}
        ),
        "history_erased": (p + ids["gleb"] + "/history", admin, {"reason": "erasure check"}),
        "history_corrected": (p + ids["vera"] + "/history", {}, {}),
        "history_as_known": (p + ids["anna"] + "/history", {}, {"known_at": ids["moment"]}),
        "episode": (ep + ids["anna_episode"], {}, {}),
        "episode_as_known": (ep + ids["anna_episode"], {}, {"known_at": ids["moment"]}),
        "episode_long": (ep + ids["boris_episode"], {}, {}),
        "episode_long_history": (ep + ids["boris_episode"] + "/history", {}, {"limit": 200}),
        "episode_idempotent": (ep + ids["dmitri_episode"], {}, {}),
        "caseload": ("/v1/caseloads/" + STAFF, supervisor, {"as_of": on(300)}),
        "caseload_changed": ("/v1/caseloads/caseworker-2", supervisor, {"as_of": on(200)}),
        "occupancy": ("/v1/occupancy", {}, {"on": on(160)}),
        "facility_occupancy": (f"/v1/facilities/{ids['hotel']}/occupancy", {}, {"on": on(160)}),
        "facility_period": (
            f"/v1/facilities/{ids['hotel']}/occupancy", {}, {"from": on(125), "to": on(165)}
        ),
        "outcomes": ("/v1/reports/outcomes", {}, {"program": ids["rural"],
                                                  "from": "2025-01-01", "to": "2026-12-31"}),
        "outcomes_group": ("/v1/reports/outcomes", {}, {
            "program": ids["urban"], "from": "2025-01-01", "to": "2025-12-31",
            "target_group": "orphan_care_leaver"}),
        "outcomes_as_known": ("/v1/reports/outcomes", {}, {
            "program": ids["rural"], "from": "2025-01-01", "to": "2026-12-31",
            "known_at": ids["moment"]}),
        "services": ("/v1/reports/services", {}, {"program": ids["rural"]}),
        "services_by_staff": ("/v1/reports/services", {}, {"program": ids["rural"],
                                                           "by": "staff,kind"}),
    }  # fmt: skip
    answers: dict[str, Any] = {}
    for name, (path, role, asked) in wanted.items():
        # Read models are read once they reached the log head (as known at: by recorded time).
        waits = path.startswith(("/v1/caseloads", "/v1/reports")) or path.endswith("occupancy")
        params = {**asked, "min_position": head} if waits and "known_at" not in asked else asked
        who = {**staff, **role}
        answers[name] = {
            "path": path, "as": who, "params": params, "body": d.read(path, **who, **params).json()
        }  # fmt: skip
    first = answers["episode_long_history"]
    params = {**first["params"], "cursor": first["body"]["next_cursor"]}
    answers["episode_long_history_page_2"] = {
        **first, "params": params, "body": d.read(first["path"], **first["as"], **params).json()
    }  # fmt: skip
    return answers


def stored_rows(folder: Path) -> dict[str, Any]:
    """The rows of the events, snapshots and key tables, exactly as stored."""

    def rows(file: Path, statement: str) -> list[list[Any]]:
        with sqlite3.connect(file) as conn:
            return [
                [base64.b64encode(v).decode() if isinstance(v, bytes) else v for v in row]
                for row in conn.execute(statement)
            ]

    events, keys = folder / "ledger.sqlite3", folder / "ledger.keys.sqlite3"
    return {
        "events": rows(
            events,
            "SELECT rowid, originator_id, originator_version, topic, state"
            " FROM stored_events ORDER BY rowid",
        ),
        "snapshots": rows(
            events,
            "SELECT originator_id, originator_version, topic, state FROM stored_snapshots"
            " ORDER BY originator_id, originator_version",
        ),
        "personal_data_keys": rows(
            keys, "SELECT stream_id, wrapped FROM personal_data_keys ORDER BY stream_id"
        ),
    }


def checkpoint_at_head(d: Driver, head: int) -> dict[str, Any]:
    """The signed checkpoint of the whole log, as an auditor keeps it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = d.api.http.get(
            "/v1/audit/checkpoints/latest", headers=d.api.as_("auditor", ["*"])
        )
        if response.status_code == 200 and response.json()["position"] == head:
            checkpoint: dict[str, Any] = response.json()
            return checkpoint
        time.sleep(0.1)
    raise AssertionError("no checkpoint reached the log head")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for name, key in KEYS.items():
            (folder / name).write_text(key)
        with serve(f"sqlite:///{folder}/ledger.sqlite3", folder, **OVERRIDES) as api:
            driver = Driver(api)
            ids = write(driver)
            head = api.log_head()
            answers = reads(driver, ids, head)
            checkpoint = checkpoint_at_head(driver, head)
            assert api.log_head() == head, "a read wrote to the log"
        log = {"secrets": KEYS, "settings": OVERRIDES, "head": head, **stored_rows(folder)}
    (out / "log.json").write_text(json.dumps(log, indent=0) + "\n")
    (out / "answers.json").write_text(
        json.dumps(
            {
                "ids": ids,
                "idempotent": ids.pop("idempotent"),
                "checkpoint": checkpoint,
                "reads": answers,
            },
            indent=1,
        )
        + "\n"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
