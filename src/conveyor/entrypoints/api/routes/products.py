"""Products: SKU, price (a decimal string with its currency), weight, size, attributes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from conveyor.domain.config_export import product_to_mapping
from conveyor.entrypoints.api.routes.config_entries import add_entry_routes
from conveyor.entrypoints.api.security import CurrentPrincipal, RuntimeDep
from conveyor.services import catalog

router = APIRouter(prefix="/products", tags=["catalog"])

DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(examples=["TEE-BLK-M"])
    name: str = Field(examples=["Organic T-shirt, black, M"])
    category: str = Field(examples=["apparel"])
    price: str = Field(pattern=DECIMAL, examples=["24.90"], description="A decimal string, never a float")
    currency: str = Field(examples=["EUR"], description="ISO 4217 code")
    weight_grams: int = Field(gt=0, examples=[180])
    dimensions_mm: list[int] = Field(min_length=3, max_length=3, examples=[[300, 220, 20]])
    attributes: dict[str, Any] = Field(default_factory=dict, examples=[{"size": "M", "colour": "black"}])
    active: bool = True


class ProductPublic(ProductCreate):
    pass


class ProductsPublic(BaseModel):
    data: list[ProductPublic]
    count: int


@router.get("", response_model=ProductsPublic, summary="List products (by category or active flag if asked)")
def list_products(
    _: CurrentPrincipal,
    runtime: RuntimeDep,
    category: str | None = Query(default=None, description="Only this category"),
    active: bool | None = Query(default=None, description="Only active (true) or inactive (false) products"),
) -> ProductsPublic:
    found = catalog.list_products(runtime.unit_of_work(), category=category, active=active)
    return ProductsPublic(data=[ProductPublic(**product_to_mapping(p)) for p in found], count=len(found))


add_entry_routes(
    router, section="products", noun="product", create_model=ProductCreate, public_model=ProductPublic,
    list_model=ProductsPublic, to_mapping=product_to_mapping, list_entries=catalog.list_products,
)  # fmt: skip
