"""Bearer tokens: who is calling, in which roles, for which programs."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import jwt

from api.problems import ProblemError
from api.settings import Settings
from domain.program import program_id_for

ROLES = ("caseworker", "supervisor", "auditor", "analyst", "admin")
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


def _principal(claims: dict[str, Any]) -> Principal:
    roles = claims.get("roles")
    programs = claims.get("programs", [])
    if not isinstance(roles, list) or not set(roles) & set(ROLES) or not isinstance(programs, list):
        raise ProblemError(401, "invalid_token", "The token's roles or programs are not usable")
    return Principal(
        subject=str(claims["sub"]),
        roles=frozenset(r for r in roles if r in ROLES),
        programs=frozenset(program_id_for(str(code)) for code in programs if code != ALL_PROGRAMS),
        all_programs=ALL_PROGRAMS in programs,
    )


class Authenticator:
    """Checks signatures, issuer, audience and expiry; knows the development secret or the JWKS.

    A token checked once is known for a while (at most `KNOWN_SECONDS`, never past its expiry):
    a frontend sends the same token with every request, and checking it again took a tenth of
    the API's CPU per command. Only a digest of the token is kept.
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
        self._secret = None if (self._jwks or self._jwks_client) else settings.jwt_secret()

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
        until = min(float(claims["exp"]), self.clock() + self.KNOWN_SECONDS)
        with self._lock:
            self._known[_digest(authorization)] = (principal, until)
            while len(self._known) > self.KNOWN_TOKENS:
                self._known.popitem(last=False)
        return principal

    def _key_for(self, token: str) -> tuple[Any, list[str]]:
        if self._secret is not None:
            return self._secret, ["HS256"]
        if self._jwks_client is not None:
            return self._jwks_client.get_signing_key_from_jwt(token).key, ["RS256", "ES256"]
        assert self._jwks is not None
        kid = jwt.get_unverified_header(token).get("kid")
        for key in self._jwks.keys:
            if kid is None or key.key_id == kid:
                return key.key, ["RS256", "ES256"]
        raise jwt.InvalidKeyError(f"no key {kid!r} in the JWKS")


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
    return jwt.encode(claims, settings.jwt_secret(), algorithm="HS256")
