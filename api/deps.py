"""Request-scoped dependencies: the process's components, the caller, the request id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request, Security
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.auth import Authenticator, Principal


def components(request: Request) -> Any:
    """The Ledger, read models and authenticator built once per process in the lifespan."""
    return request.app.state.components


def request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


# Documents the scheme in OpenAPI; the header itself is read below, refused with a problem.
BEARER = HTTPBearer(auto_error=False, description="A JWT with the claims sub, roles, programs")


async def authenticate(
    request: Request, _scheme: Annotated[object, Security(BEARER)] = None
) -> Principal:
    """The caller. A token seen lately is known at once, on the event loop; a new one is checked
    in the threadpool, since a JWKS may have to be fetched. (A plain `def` dependency costs a
    threadpool hop on every request.)"""
    authenticator: Authenticator = request.app.state.authenticator
    authorization = request.headers.get("authorization")
    principal = authenticator.known(authorization)
    if principal is None:
        principal = await run_in_threadpool(authenticator.authenticate, authorization)
    request.state.subject = principal.subject
    return principal
