"""Hostile or careless requests get a correct answer or a problem whose code says what to fix:
never a 5xx, and nothing written. Each case here once answered 500."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import RSAAlgorithm

from api.keys import jwt_secret
from tests.api.conftest import OWN, Api, serve
from tests.api.world import a_world, day, participant, program

UNUSABLE_CLAIMS: list[dict[str, Any]] = [
    {"roles": [["admin"]]},
    {"roles": {"admin": True}},
    {"roles": "caseworker"},
    {"roles": ["caseworker", "admin\x00"]},
    {"programs": [{"code": OWN}]},
    {"programs": [7]},
    {"programs": OWN},
    {"programs": ["P" * 201]},
    {"sub": "cw\x00-1"},
    {"sub": "cw\ud800"},
    {"sub": "cw\u0085"},
    {"sub": ""},
    {"sub": "c" * 201},
]
# Claims PyJWT checks itself, refused before the ledger reads any.
REFUSED_BY_PYJWT: list[dict[str, Any]] = [{"sub": ["cw-1"]}, {"exp": "soon"}, {"exp": [1]}]


def signed(api: Api, **claims: Any) -> dict[str, str]:
    """Bearer headers of a token the server's own secret signed: only its claims are hostile."""
    now = int(time.time())
    payload = {
        "sub": "cw-1",
        "roles": ["caseworker"],
        "programs": [OWN],
        "iss": api.settings.jwt_issuer,
        "aud": api.settings.jwt_audience,
        "exp": now + 600,
        **claims,
    }
    return {"Authorization": f"Bearer {jwt.encode(payload, jwt_secret(api.settings))}"}


REGISTRATION = {
    "target_groups": ["homeless"],
    "settlement": "Kunashak",
    "birth_year": 1970,
    "prior_residence": "own_home",
}


def test_a_token_whose_claims_are_not_plain_text_is_refused_and_writes_nothing(api: Api) -> None:
    program(api, OWN)
    head = api.log_head()
    for claims in UNUSABLE_CLAIMS:
        refused = api.http.post(
            "/v1/participants", json=REGISTRATION, headers=signed(api, **claims)
        )
        assert refused.status_code == 401, (claims, refused.text)
        problem = refused.json()
        assert problem["code"] == "invalid_token", claims
        claim = next(iter(claims))
        assert problem["detail"].startswith(f"{claim} must be"), problem
    for claims in REFUSED_BY_PYJWT:
        refused = api.http.post(
            "/v1/participants", json=REGISTRATION, headers=signed(api, **claims)
        )
        assert refused.status_code == 401, (claims, refused.text)
        assert refused.json()["code"] == "invalid_token", claims
    assert api.log_head() == head
    accepted = api.http.post("/v1/participants", json=REGISTRATION, headers=signed(api))
    assert accepted.status_code == 201, accepted.text
    # A token that never expires is the issuer's choice; its exp was a 500 (float overflow).
    forever = signed(api, exp=10**400)
    accepted = api.http.post("/v1/participants", json=REGISTRATION, headers=forever)
    assert accepted.status_code == 201, accepted.text


def _jwks_key(folder: Path) -> tuple[rsa.RSAPrivateKey, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    path = folder / "jwks.json"
    path.write_text(json.dumps({"keys": [{**public, "kid": "k1", "use": "sig"}]}))
    return key, path


def test_a_token_whose_algorithm_does_not_fit_the_jwks_key_is_refused(tmp_path: Path) -> None:
    """The key's type decides the algorithm: an ES256 header against an RSA key was a 500."""
    key, jwks = _jwks_key(tmp_path)
    with serve(f"sqlite:///{tmp_path}/ledger.sqlite3", tmp_path, jwks_file=jwks) as api:
        now = int(time.time())
        claims = {
            "sub": "admin-1",
            "roles": ["admin"],
            "programs": ["*"],
            "iss": api.settings.jwt_issuer,
            "aud": api.settings.jwt_audience,
            "exp": now + 600,
        }
        forged = {
            "ES256": jwt.encode(
                claims, ec.generate_private_key(ec.SECP256R1()), "ES256", {"kid": "k1"}
            ),
            "HS256": jwt.encode(
                claims, "a shared secret of thirty-two bytes", "HS256", {"kid": "k1"}
            ),
            "PS256": jwt.encode(claims, key, "PS256", {"kid": "k1"}),
        }
        for alg, token in forged.items():
            refused = api.http.get(
                "/v1/occupancy", params={"on": day(0)}, headers={"Authorization": f"Bearer {token}"}
            )
            assert refused.status_code == 401, (alg, refused.text)
            assert refused.json()["code"] == "invalid_token", alg
        genuine = jwt.encode(claims, key, "RS256", {"kid": "k1"})
        answered = api.http.get(
            "/v1/occupancy", params={"on": day(0)}, headers={"Authorization": f"Bearer {genuine}"}
        )
        assert answered.status_code == 200, answered.text


def test_an_if_match_that_is_not_a_version_number_is_refused_as_such(api: Api) -> None:
    """Latin-1 superscripts are digits to str.isdigit() but not to int(): "²" was a 500."""
    program(api, OWN)
    person = participant(api, [OWN])
    head = api.log_head()
    for if_match in (b'"\xb2"', b'"1\xb9"', b'W/"\xb3"', b"\xb2", b'"v2"'):
        refused = api.http.post(
            f"/v1/participants/{person}/consents",
            json={"scope": "services", "document_ref": "C-2", "occurred_on": day(1)},
            headers={**api.as_("caseworker"), "If-Match": if_match},
        )
        assert refused.status_code == 400, (if_match, refused.text)
        assert refused.json()["code"] == "invalid_if_match"
    assert api.log_head() == head


def test_dates_at_the_ends_of_the_calendar_get_correct_answers(api: Api) -> None:
    """Every date and moment a client may name: the first and last a date can hold, and moments
    whose UTC time lies beyond them. Answers are the ones the same question gets in plain terms."""
    world = a_world(api)
    head = api.log_head()
    report = {"program": world.own, "from": day(400), "to": day(0), "min_position": head}
    as_now = api.get("/v1/reports/outcomes", **report)
    assert as_now.status_code == 200, as_now.text
    after_all = api.get("/v1/reports/outcomes", **report, known_at="9999-12-31T23:59:59-23:59")
    assert after_all.status_code == 200, after_all.text
    assert after_all.json()["indicators"] == as_now.json()["indicators"]
    before_all = api.get("/v1/reports/outcomes", **report, known_at="0001-01-01T00:00:00+23:59")
    assert (before_all.status_code, before_all.json()["code"]) == (404, "not_found")

    for by in ("kind,settlement,month", "month", "staff"):
        services = {"program": world.own, "by": by, "min_position": head}
        everything = api.get("/v1/reports/services", **services)
        assert everything.status_code == 200, everything.text
        for period in ({"to": "9999-12-31"}, {"from": "0001-01-01", "to": "9999-12-31"}):
            bounded = api.get("/v1/reports/services", **services, **period)
            assert bounded.status_code == 200, (period, bounded.text)
            assert bounded.json()["rows"] == everything.json()["rows"]

    last_days = api.get(
        f"/v1/facilities/{world.facility}/occupancy", **{"from": "9999-12-01", "to": "9999-12-31"}
    )
    assert last_days.status_code == 200, last_days.text
    # Days that have not come count no nights: none of them is listed.
    assert (last_days.json()["counted_to"], last_days.json()["days"]) == (None, [])
    first_days = api.get(
        f"/v1/facilities/{world.facility}/occupancy", **{"from": "0001-01-01", "to": "0001-01-31"}
    )
    assert first_days.status_code == 200, first_days.text
    assert [d["day"] for d in first_days.json()["days"]][-1] == "0001-01-31"
    for edge in ("0001-01-01", "9999-12-31"):
        assert api.get("/v1/occupancy", on=edge).status_code == 200
        assert api.get(f"/v1/facilities/{world.facility}/occupancy", on=edge).status_code == 200
        assert api.get("/v1/caseloads/caseworker-1", as_of=edge).status_code == 200
    for moment in ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"):
        for path in (
            f"/v1/participants/{world.participant}",
            f"/v1/participants/{world.participant}/history",
            f"/v1/episodes/{world.episode}",
            f"/v1/episodes/{world.episode}/history",
        ):
            answer = api.get(path, known_at=moment)
            assert answer.status_code in (200, 404), (path, moment, answer.text)


def test_text_in_a_url_that_no_store_can_keep_is_refused_as_invalid_text(api: Api) -> None:
    """NUL (%00), an encoded lone surrogate or bytes that are not UTF-8, in a path or in a query
    parameter's name or value: refused before any route reads them, on either store. NUL was a
    500 on PostgreSQL and was taken as it came on SQLite."""
    world = a_world(api)
    report = f"/v1/reports/outcomes?program={world.own}&from={day(400)}&to={day(0)}"
    cases = [
        ("GET", "/v1/caseloads/a%00b", ["path"]),
        ("GET", "/v1/caseloads/%ED%A0%80", ["path"]),
        ("GET", "/v1/caseloads/a%FFb", ["path"]),
        ("GET", f"/v1/participants/{world.participant}?reason=why%00not", ["query", "reason"]),
        ("GET", f"{report}&target_group=homeless%00", ["query", "target_group"]),
        ("GET", f"/v1/occupancy?on={day(0)}&x%00=1", ["query", "x\ufffd"]),
        ("POST", "/v1/participants/%00/consents", ["path"]),
    ]
    head = api.log_head()
    reads = api.get("/v1/audit/access", role="admin", participant=world.participant).json()
    for method, url, loc in cases:
        refused = api.http.request(method, url, headers=api.as_("admin"), json={})
        assert refused.status_code == 422, (url, refused.text)
        problem = refused.json()
        assert problem["code"] == "invalid_text", url
        assert problem["errors"][0]["loc"] == loc, url
    assert api.log_head() == head
    after = api.get("/v1/audit/access", role="admin", participant=world.participant).json()
    assert after["items"] == reads["items"]  # the refused read of personal data left no record


def test_an_outcomes_report_by_target_group_counts_that_group_only(api: Api) -> None:
    """The group was matched with LIKE: `%` or `_` counted people of every group."""
    world = a_world(api)
    report = {"program": world.own, "from": day(400), "to": day(0), "min_position": api.log_head()}

    def served(group: str) -> int:
        answer = api.get("/v1/reports/outcomes", **report, target_group=group)
        assert answer.status_code == 200, answer.text
        return int(
            next(i["count"] for i in answer.json()["indicators"] if i["indicator"] == "served")
        )

    assert (served("orphan_care_leaver"), served("homeless")) == (1, 0)
    for wildcard in ("%", "_%", "orphan%"):
        refused = api.get("/v1/reports/outcomes", **report, target_group=wildcard)
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_request")


def test_a_cursor_past_any_page_is_refused_as_invalid(api: Api) -> None:
    """Once answered 500: a cursor naming more rows than a 64-bit OFFSET holds."""
    world = a_world(api)
    paged = [
        ("/v1/episodes", "supervisor"),
        (f"/v1/participants/{world.participant}/episodes", "supervisor"),
        ("/v1/participants/candidates", "supervisor"),
    ]
    for offset in (str(2**64), str(2**40 + 1)):  # digits, as the cursor pattern allows
        cursor = base64.urlsafe_b64encode(offset.encode()).decode()
        for path, role in paged:
            refused = api.get(path, role=role, cursor=cursor)
            assert refused.status_code == 400, (path, offset, refused.text)
            assert refused.json()["code"] == "invalid_cursor"
    cursor = base64.urlsafe_b64encode(str(2**40).encode()).decode()  # the last that may be
    for path, role in paged:
        answer = api.get(path, role=role, cursor=cursor)
        assert answer.status_code == 200, (path, answer.text)
