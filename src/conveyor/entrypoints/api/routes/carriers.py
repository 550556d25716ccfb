"""Carriers and their services: zones, weight-banded rates, transit days."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from conveyor.domain.config_export import carrier_to_mapping
from conveyor.entrypoints.api.routes.config_entries import add_entry_routes

router = APIRouter(prefix="/carriers", tags=["network"])


class WeightBandFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_weight_grams: int = Field(gt=0, examples=[2000])
    price: str = Field(pattern=r"^[0-9]+(\.[0-9]+)?$", examples=["4.99"])


class ServiceFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(examples=["paket"])
    name: str = Field(examples=["DHL Paket"])
    currency: str | None = Field(default=None, examples=["EUR"])
    zones: dict[str, str] = Field(description="Destination ('DE', 'US-CA', '*') -> zone name",
                                  examples=[{"DE": "domestic", "*": "world"}])  # fmt: skip
    rates: dict[str, list[WeightBandFields]] = Field(description="Zone -> weight bands, lightest first")
    transit_days: dict[str, int] = Field(examples=[{"domestic": 1, "world": 7}])
    volumetric_divisor: int | None = Field(default=None, gt=0, examples=[5000])


class CarrierCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(examples=["dhl"])
    name: str = Field(examples=["DHL"])
    services: list[ServiceFields]
    active: bool = True


class CarrierPublic(CarrierCreate):
    pass


class CarriersPublic(BaseModel):
    data: list[CarrierPublic]
    count: int


add_entry_routes(
    router, section="carriers", noun="carrier", create_model=CarrierCreate,
    public_model=CarrierPublic, list_model=CarriersPublic, to_mapping=carrier_to_mapping,
)  # fmt: skip
