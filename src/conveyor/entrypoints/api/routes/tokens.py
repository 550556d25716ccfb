"""API tokens (admins only): list without secrets, issue (secret shown once), revoke."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from conveyor.domain.auth import ApiToken, Role
from conveyor.entrypoints.api.security import AdminPrincipal, RuntimeDep
from conveyor.services import api_tokens

router = APIRouter(prefix="/tokens", tags=["auth"])


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="Who or what uses the token")
    role: Role
    groups: list[str] = Field(
        default_factory=list, description="Task groups besides the role, e.g. ['quality', 'packing']"
    )


class TokenPublic(BaseModel):
    id: int
    name: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None = Field(
        description="When the token was last used, to within a minute: it is written at most once a minute"
    )
    revoked_at: datetime | None
    active: bool
    groups: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, token: ApiToken) -> TokenPublic:
        return cls(
            id=token.id,
            name=token.name,
            role=token.role,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
            active=token.active,
            groups=list(token.groups),
        )


class TokenIssued(TokenPublic):
    token: str = Field(description="The secret; it is not stored and cannot be shown again")


class TokensPublic(BaseModel):
    data: list[TokenPublic]
    count: int


@router.get("", response_model=TokensPublic, summary="List API tokens (never their secrets)")
def list_tokens(_: AdminPrincipal, runtime: RuntimeDep) -> TokensPublic:
    tokens = api_tokens.list_tokens(runtime.unit_of_work())
    return TokensPublic(data=[TokenPublic.of(t) for t in tokens], count=len(tokens))


@router.post(
    "",
    response_model=TokenIssued,
    status_code=status.HTTP_201_CREATED,
    summary="Issue a token; the response holds its secret, shown only this once",
)
def create_token(body: TokenCreate, _: AdminPrincipal, runtime: RuntimeDep) -> TokenIssued:
    issued = api_tokens.issue_token(
        runtime.unit_of_work(), name=body.name, role=body.role, groups=body.groups
    )
    return TokenIssued(**TokenPublic.of(issued.token).model_dump(), token=issued.secret)


@router.delete(
    "/{token_id}",
    response_model=TokenPublic,
    summary="Revoke a token; requests with it are refused from now on",
)
def revoke_token(token_id: int, _: AdminPrincipal, runtime: RuntimeDep) -> TokenPublic:
    return TokenPublic.of(api_tokens.revoke_token(runtime.unit_of_work(), token_id))
