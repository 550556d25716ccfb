"""Writing the configuration back as a document (``conveyor config export``).

The output has the shape ``parse_config_document`` reads, with every field
spelled out, so ``export`` then ``apply`` changes nothing. Money is written
as a decimal string with its currency next to it.
"""

from __future__ import annotations

from typing import Any

from conveyor.domain.carriers import Carrier, CarrierService
from conveyor.domain.catalog import Category, Product
from conveyor.domain.channel_mappers.connector import connector_to_mapping
from conveyor.domain.channels import SalesChannel
from conveyor.domain.config_document import ConfigDocument
from conveyor.domain.warehouse import Warehouse


def document_to_mapping(document: ConfigDocument) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if document.currency:
        data["currency"] = document.currency
    data["categories"] = [category_to_mapping(c) for c in document.categories]
    data["products"] = [product_to_mapping(p) for p in document.products]
    data["warehouses"] = [warehouse_to_mapping(w) for w in document.warehouses]
    data["channels"] = [channel_to_mapping(c) for c in document.channels]
    data["carriers"] = [carrier_to_mapping(c) for c in document.carriers]
    return data


def category_to_mapping(category: Category) -> dict[str, Any]:
    return {
        "code": category.code,
        "name": category.name,
        "serial_tracked": category.serial_tracked,
        "attribute_schema": dict(category.attribute_schema),
    }


def product_to_mapping(product: Product) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "name": product.name,
        "category": product.category,
        "price": product.price.as_string(),
        "currency": product.price.currency,
        "weight_grams": product.weight_grams,
        "dimensions_mm": list(product.dimensions_mm),
        "attributes": dict(product.attributes),
        "active": product.active,
    }


def warehouse_to_mapping(warehouse: Warehouse) -> dict[str, Any]:
    address = warehouse.address.as_mapping()
    address.pop("coordinates", None)
    return {
        "code": warehouse.code,
        "name": warehouse.name,
        "address": {key: value for key, value in address.items() if value},
        "coordinates": {"lat": warehouse.coordinates.lat, "lon": warehouse.coordinates.lon},
        "active": warehouse.active,
        "capabilities": sorted(warehouse.capabilities),
        "auto_confirm_picks": warehouse.auto_confirm_picks,
        "priority": warehouse.priority,
    }


def channel_to_mapping(channel: SalesChannel) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": channel.code,
        "name": channel.name,
        "currency": channel.currency,
        "process": channel.process_id,
        "allocation_strategy": channel.allocation_strategy.value,
        "warehouse_priority": list(channel.warehouse_priority),
        "partial_shipments": channel.partial_shipments_allowed,
        "notification_milestones": sorted(status.value for status in channel.notification_milestones),
        "active": channel.active,
    }
    if channel.quality_check_threshold is not None:
        data["quality_check_threshold"] = channel.quality_check_threshold.as_string()
    if channel.promised_delivery_days is not None:
        data["promised_delivery_days"] = channel.promised_delivery_days
    if channel.connector is not None:
        data["connector"] = connector_to_mapping(channel.connector)
    return data


def carrier_to_mapping(carrier: Carrier) -> dict[str, Any]:
    return {
        "code": carrier.code,
        "name": carrier.name,
        "active": carrier.active,
        "services": [service_to_mapping(s) for s in carrier.services],
    }


def service_to_mapping(service: CarrierService) -> dict[str, Any]:
    currencies = {band.price.currency for bands in service.rates.values() for band in bands}
    data: dict[str, Any] = {"code": service.code, "name": service.name}
    if currencies:
        data["currency"] = currencies.pop()
    data["zones"] = dict(service.zones)
    data["transit_days"] = dict(service.transit_days)
    data["rates"] = {
        zone: [{"max_weight_grams": b.max_weight_grams, "price": b.price.as_string()} for b in bands]
        for zone, bands in service.rates.items()
    }
    if service.volumetric_divisor is not None:
        data["volumetric_divisor"] = service.volumetric_divisor
    return data
