"""Sales channels: which process runs their orders, quality-check threshold, allocation strategy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from conveyor.domain.allocation import AllocationStrategy
from conveyor.domain.config_export import channel_to_mapping
from conveyor.domain.order_status import OrderStatus
from conveyor.entrypoints.api.routes.config_entries import add_entry_routes

router = APIRouter(prefix="/channels", tags=["network"])


class ChannelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(examples=["web"])
    name: str = Field(examples=["Online shop"])
    currency: str = Field(examples=["EUR"])
    process: str = Field(default="order-fulfillment", description="The BPMN process id that runs its orders")
    quality_check_threshold: str | None = Field(
        default=None, pattern=r"^[0-9]+(\.[0-9]+)?$", examples=["500.00"],
        description="Orders above this value get a quality check (decimal string in the channel's currency)",
    )  # fmt: skip
    allocation_strategy: AllocationStrategy = AllocationStrategy.NEAREST_FIRST
    warehouse_priority: list[str] = Field(default_factory=list, description="For priority_list: the order")
    partial_shipments: bool = True
    promised_delivery_days: int | None = Field(default=None, ge=1)
    notification_milestones: list[OrderStatus] = Field(default_factory=list)
    active: bool = True
    connector: dict[str, Any] | None = Field(
        default=None,
        description="Platform connector: {platform: shopify|woocommerce|generic, secret_env, "
        "unmapped_sku_category, push: {url, events}} (see docs/channels.md)",
    )


class ChannelPublic(ChannelCreate):
    pass


class ChannelsPublic(BaseModel):
    data: list[ChannelPublic]
    count: int


add_entry_routes(
    router, section="channels", noun="sales channel", create_model=ChannelCreate,
    public_model=ChannelPublic, list_model=ChannelsPublic, to_mapping=channel_to_mapping,
)  # fmt: skip
