"""Request-scoped dependencies: the process's components, the caller, the request id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Request

from api.auth import Principal
from api.problems import ProblemError


def components(request: Request) -> Any:
    """The Ledger, read models and authenticator built once per process in the lifespan."""
    return request.app.state.components


def request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


def authenticate(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    principal: Principal = request.app.state.authenticator.authenticate(authorization)
    request.state.subject = principal.subject
    return principal


def require(principal: Principal, *roles: str) -> None:
    if not principal.has(*roles):
        raise ProblemError(403, "forbidden", f"This needs one of the roles {', '.join(roles)}")
