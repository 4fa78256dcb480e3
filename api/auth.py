"""Bearer tokens: who is calling, in which roles, for which programs."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard
from uuid import UUID

import jwt

from api.client_text import plain
from api.keys import jwt_secret
from api.problems import ProblemError
from api.roles import ROLES
from api.settings import Settings
from domain.program import program_id_for

WRITERS = frozenset({"caseworker", "supervisor"})
ALL_PROGRAMS = "*"


@dataclass(frozen=True)
class Principal:
    """The caller as the token describes them. `programs` holds program ids, or everything."""

    subject: str
    roles: frozenset[str]
    programs: frozenset[UUID]
    all_programs: bool

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def covers(self, program_id: UUID) -> bool:
        return self.all_programs or program_id in self.programs

    @property
    def role(self) -> str:
        """The role recorded on events: the first of the token's roles in a fixed order."""
        return next(role for role in ROLES if role in self.roles)


# Claims are bounded: they label events and log lines, and a token is checked on every request.
MAX_CLAIM_CHARS = 200
MAX_CLAIM_ITEMS = 1000
# Asymmetric only: the algorithm comes from the key's type, never from the token's header.
JWKS_ALGORITHMS = frozenset({"RS256", "ES256"})


def _principal(claims: dict[str, Any]) -> Principal:
    sub, roles, programs = claims.get("sub"), claims.get("roles"), claims.get("programs", [])
    if not _name(sub):
        raise _unusable("sub", f"text of 1-{MAX_CLAIM_CHARS} characters without control characters")
    if not _names(roles) or not set(roles) & set(ROLES):
        raise _unusable("roles", f"a list of role names holding one of {', '.join(ROLES)}")
    if not _names(programs):
        raise _unusable("programs", f"a list of program codes, or {ALL_PROGRAMS!r} for all")
    return Principal(
        subject=sub,
        roles=frozenset(r for r in roles if r in ROLES),
        programs=frozenset(program_id_for(code) for code in programs if code != ALL_PROGRAMS),
        all_programs=ALL_PROGRAMS in programs,
    )


def _name(value: object) -> TypeGuard[str]:
    """Text that may label an event or a log line: the subject, a role, a program code."""
    return isinstance(value, str) and 0 < len(value) <= MAX_CLAIM_CHARS and plain(value)


def _names(value: object) -> TypeGuard[list[str]]:
    return (
        isinstance(value, list)
        and len(value) <= MAX_CLAIM_ITEMS
        and all(_name(item) for item in value)
    )


def _unusable(claim: str, rule: str) -> ProblemError:
    return ProblemError(
        401, "invalid_token", f"The token's {claim} claim is not usable", f"{claim} must be {rule}"
    )


class Authenticator:
    """Checks signatures, issuer, audience and expiry; knows the development secret or the JWKS.

    A token checked once is known for a while (at most `KNOWN_SECONDS`, never past its expiry):
    a frontend sends the same token with every request (ops/bench/DECISIONS.md). Only a digest
    of the token is kept.
    """

    KNOWN_SECONDS = 300.0
    KNOWN_TOKENS = 10_000

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self._known: OrderedDict[bytes, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._jwks_client = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None
        self._jwks = (
            jwt.PyJWKSet.from_dict(json.loads(settings.jwks_file.read_text()))
            if settings.jwks_file
            else None
        )
        self._secret = None if (self._jwks or self._jwks_client) else jwt_secret(settings)

    def known(self, authorization: str | None) -> Principal | None:
        """The caller, if this token was checked lately and has not expired; no I/O."""
        if not authorization:
            return None
        digest = _digest(authorization)
        with self._lock:
            found = self._known.get(digest)
            if found is None:
                return None
            principal, until = found
            if self.clock() >= until:
                del self._known[digest]
                return None
            self._known.move_to_end(digest)
            return principal

    def authenticate(self, authorization: str | None) -> Principal:
        """Check the token (a JWKS URL may be fetched) and remember it; 401 if refused."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise ProblemError(401, "missing_token", "A bearer token is required")
        token = authorization[7:].strip()
        try:
            key, algorithms = self._key_for(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={"require": ["sub", "exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise ProblemError(401, "invalid_token", f"The token was refused: {error}") from None
        principal = _principal(claims)
        # As PyJWT read it (it takes "123" too); compared as an int, since a float overflows.
        until = min(int(claims["exp"]), self.clock() + self.KNOWN_SECONDS)
        with self._lock:
            self._known[_digest(authorization)] = (principal, until)
            while len(self._known) > self.KNOWN_TOKENS:
                self._known.popitem(last=False)
        return principal

    def _key_for(self, token: str) -> tuple[Any, list[str]]:
        """The key to check the token with, and the one algorithm that key's type allows: a
        header naming another is refused, as no key of the set could have signed it."""
        if self._secret is not None:
            return self._secret, ["HS256"]
        if self._jwks_client is not None:
            key = self._jwks_client.get_signing_key_from_jwt(token)
        else:
            assert self._jwks is not None
            kid = jwt.get_unverified_header(token).get("kid")
            found = [k for k in self._jwks.keys if kid is None or k.key_id == kid]
            if not found:
                raise jwt.InvalidKeyError(f"no key {kid!r} in the JWKS")
            key = found[0]
        if key.algorithm_name not in JWKS_ALGORITHMS:
            raise jwt.InvalidKeyError(f"the JWKS key is for {key.algorithm_name}, not RS256/ES256")
        return key.key, [key.algorithm_name]


def _digest(authorization: str) -> bytes:
    return hashlib.blake2b(authorization.encode(), digest_size=16).digest()


def mint(
    settings: Settings, subject: str, roles: list[str], programs: list[str], hours: float = 12
) -> str:
    """A development token signed with the embedded secret (`ledger token`)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; use {ROLES}")
    now = int(time.time())
    claims = {
        "sub": subject,
        "roles": roles,
        "programs": programs,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + int(hours * 3600),
    }
    return jwt.encode(claims, jwt_secret(settings), algorithm="HS256")
