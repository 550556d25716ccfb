"""The channel's connector in the configuration document: every problem by its path, no secrets out."""

from __future__ import annotations

from typing import Any

import pytest

from conveyor.domain.channel_mappers import ChannelConnector, PushTarget
from conveyor.domain.config_document import parse_config_document
from conveyor.domain.config_export import channel_to_mapping
from conveyor.errors import InvalidInput


def _document(connector: Any) -> dict[str, Any]:
    return {"currency": "EUR", "channels": [{"code": "shop", "name": "Shop", "connector": connector}]}


def test_a_connector_is_read_and_written_back_the_same() -> None:
    connector = {
        "platform": "woocommerce", "secret_env": "WOO_SECRET", "unmapped_sku_category": "customer_change",
        "push": {"url": "https://shop.example.com/hook", "events": ["order.*", "shipment.delivered"]},
    }  # fmt: skip
    (channel,) = parse_config_document(_document(connector)).channels
    assert channel.connector == ChannelConnector(
        "woocommerce", "WOO_SECRET", "customer_change",
        PushTarget("https://shop.example.com/hook", ("order.*", "shipment.delivered")),
    )  # fmt: skip
    assert channel_to_mapping(channel)["connector"] == connector


def test_defaults_and_no_connector() -> None:
    (channel,) = parse_config_document(_document({"platform": "generic", "secret_env": "S"})).channels
    assert channel.connector == ChannelConnector("generic", "S")
    assert channel_to_mapping(channel)["connector"] == {"platform": "generic", "secret_env": "S"}
    (plain,) = parse_config_document(_document(None)).channels
    assert plain.connector is None and "connector" not in channel_to_mapping(plain)


def test_every_connector_problem_is_named_by_its_path() -> None:
    broken = {"platform": "shopfy", "secret_env": "A B", "secret": "hunter2", "colour": 1,
              "push": {"url": "ftp://x", "events": ["Order created"], "secret_env": "X"}}  # fmt: skip
    with pytest.raises(InvalidInput) as raised:
        parse_config_document(_document(broken))
    problems = {e["path"]: e["msg"] for e in raised.value.errors}
    prefix = "channels[0].connector"
    assert "did you mean 'shopify'" in problems[f"{prefix}.platform"]
    assert "environment variable" in problems[f"{prefix}.secret_env"]
    assert "not stored in the configuration" in problems[f"{prefix}.secret"]
    assert f"{prefix}.colour" in problems
    assert "http(s)" in problems[f"{prefix}.push.url"]
    assert f"{prefix}.push.events[0]" in problems
    assert f"{prefix}.push.secret_env" in problems  # the subscription signs with its own secret
    assert "hunter2" not in str(raised.value.detail)
