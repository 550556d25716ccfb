"""Product categories and their attribute schemas (JSON Schema)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from conveyor.domain.config_export import category_to_mapping
from conveyor.entrypoints.api.routes.config_entries import add_entry_routes

router = APIRouter(prefix="/categories", tags=["catalog"])


class CategoryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(examples=["apparel"], description="Letters, digits, '.', '_' or '-'")
    name: str = Field(examples=["Apparel"])
    attribute_schema: dict[str, Any] = Field(
        default_factory=dict,
        description="A JSON Schema every product's attributes in this category must satisfy",
        examples=[{"type": "object", "properties": {"size": {"enum": ["S", "M"]}}, "required": ["size"]}],
    )
    serial_tracked: bool = False


class CategoryPublic(CategoryCreate):
    pass


class CategoriesPublic(BaseModel):
    data: list[CategoryPublic]
    count: int


add_entry_routes(
    router, section="categories", noun="category", create_model=CategoryCreate,
    public_model=CategoryPublic, list_model=CategoriesPublic, to_mapping=category_to_mapping,
)  # fmt: skip
