"""Authentication and role checks for the API.

Every router under ``/api/v1`` is mounted behind ``authenticate`` (see
``routers.py``), so a new route is protected unless it is deliberately put on
the public list. A route that needs particular roles declares them:

    def list_tokens(principal: Annotated[Principal, Depends(require_roles())]) ...
    def cancel_order(principal: Annotated[Principal, Depends(require_roles(Role.SUPPORT))]) ...

An admin passes every role check. Missing or bad tokens answer 401 with
``WWW-Authenticate: Bearer``; a valid token with the wrong role answers 403.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from conveyor.bootstrap import Runtime
from conveyor.domain.auth import Principal, Role
from conveyor.errors import Forbidden, Unauthenticated
from conveyor.services import api_tokens

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="An API token (`cvr_...`) from `conveyor token create --role ROLE --name NAME`",
)


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def authenticate(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller's principal from ``Authorization: Bearer <token>``.

    The principal is also left on ``request.state`` so the request's log line
    says which token made it.
    """
    if credentials is None or not credentials.credentials.strip():
        raise Unauthenticated("Send an API token in the header `Authorization: Bearer <token>`")
    # One indexed read per request (revocation applies at once). On SQLite it is a local read of a
    # few microseconds, done here on the event loop; on PostgreSQL (a round trip) in a worker thread.
    # The write of last_used_at (at most once a minute per token) may wait for the write lock: a thread.
    checker = api_tokens.authenticator_for(runtime)
    secret = credentials.credentials
    if checker.reads_locally:
        principal, use_at = checker.check(secret)
    else:
        principal, use_at = await run_in_threadpool(checker.check, secret)
    if use_at is not None:
        await run_in_threadpool(checker.record_use, principal.token_id, use_at)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through ``roles`` (and admins); with no roles, admins only."""
    allowed = frozenset(roles)
    names = ", ".join(sorted({Role.ADMIN.value, *(role.value for role in allowed)}))

    async def check_role(principal: CurrentPrincipal) -> Principal:
        if not principal.may_act_as(allowed):
            raise Forbidden(
                f"The role {principal.role.value!r} may not do this; allowed roles: {names}",
                role=principal.role.value,
                allowed_roles=names.split(", "),
            )
        return principal

    check_role.__name__ = f"require_roles_{'_'.join(sorted(r.value for r in allowed)) or 'admin'}"
    return check_role


AdminPrincipal = Annotated[Principal, Depends(require_roles())]
