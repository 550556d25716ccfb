"""Who am I: the caller's token name and role, for any valid token."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from conveyor.domain.auth import Role
from conveyor.entrypoints.api.security import CurrentPrincipal

router = APIRouter(tags=["auth"])


class MePublic(BaseModel):
    token_id: int
    name: str
    role: Role
    groups: list[str] = Field(default_factory=list, description="Task groups besides the role")


@router.get("/me", response_model=MePublic, summary="The caller's identity and role")
def read_me(principal: CurrentPrincipal) -> MePublic:
    return MePublic(
        token_id=principal.token_id, name=principal.name, role=principal.role, groups=sorted(principal.groups)
    )
