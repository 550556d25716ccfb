"""Warehouses: where stock is kept, with coordinates for allocation by distance."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from conveyor.domain.config_export import warehouse_to_mapping
from conveyor.entrypoints.api.routes.config_entries import add_entry_routes

router = APIRouter(prefix="/warehouses", tags=["network"])


class AddressFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, description="Defaults to the warehouse's name")
    line1: str = Field(examples=["Am Borsigturm 40"])
    line2: str | None = None
    postal_code: str | None = Field(default=None, examples=["13507"])
    city: str = Field(examples=["Berlin"])
    region: str | None = None
    country: str = Field(examples=["DE"], description="ISO 3166-1 alpha-2")
    phone: str | None = None
    email: str | None = None


class CoordinatesFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90, examples=[52.5869])
    lon: float = Field(ge=-180, le=180, examples=[13.2847])


class WarehouseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(examples=["BER-1"])
    name: str = Field(examples=["Berlin fulfilment centre"])
    address: AddressFields
    coordinates: CoordinatesFields
    active: bool = True
    capabilities: list[str] = Field(default_factory=list, examples=[["returns", "cold_chain"]])
    auto_confirm_picks: bool = Field(default=False, description="Pick lists confirm themselves (robots)")
    priority: int = Field(default=100, ge=0, description="Lower is preferred when distances tie")


class WarehousePublic(WarehouseCreate):
    pass


class WarehousesPublic(BaseModel):
    data: list[WarehousePublic]
    count: int


add_entry_routes(
    router, section="warehouses", noun="warehouse", create_model=WarehouseCreate,
    public_model=WarehousePublic, list_model=WarehousesPublic, to_mapping=warehouse_to_mapping,
)  # fmt: skip
