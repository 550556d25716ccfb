"""The finance, returns and carrier-exception settings are configuration: applied, exported, validated."""

from __future__ import annotations

from finance_support import deliver, problem, shipped_order
from order_flow_support import ShopApi

from conveyor.domain.auth import Role


def test_applied_thresholds_route_refunds_and_returns_and_export_round_trips(shop_api: ShopApi) -> None:
    document = {
        "finance": {
            "refund_approval_threshold": "5.00",
            "channels": {"web": {"refund_approval_threshold": "1.00"}},
        },
        "returns": {
            "window_days": 10,
            "auto_approve_below": None,
            "parcel_wait_days": 5,
            "warehouse": "BER-1",
        },
        "carrier_exceptions": {"lost_codes": ["verloren"], "damaged_codes": ["kaputt"]},
    }
    shop_api.post("/config", document, Role.MANAGER)
    exported = shop_api.get("/config", Role.MANAGER)
    assert {k: exported[k] for k in document} == document
    order_id, shipments = shipped_order(shop_api, "WEB-CFG1", [("MUG-STONE", 1)])
    refund = shop_api.post(
        "/refunds", {"order_id": order_id, "amount": "2.00", "reason": "x"}, Role.SUPPORT, 201
    )
    assert refund["status"] == "awaiting_approval"  # the web channel's own threshold: 1.00
    deliver(shop_api, shipments)
    body = {"order_id": order_id, "lines": [{"line_no": 1, "quantity": 1}], "reason_code": "damaged"}
    rma = shop_api.post("/returns", body, Role.SUPPORT, 201)
    assert rma["status"] == "requested" and rma["warehouse"] == "BER-1"  # no auto-approval any more
    other_id, [other_shipment] = shipped_order(shop_api, "WEB-CFG2", [("MUG-STONE", 1)])
    shop_api.post(
        f"/shipments/{other_shipment}/tracking",
        {"type": "exception", "at": "2030-01-01T08:00:00Z", "details": {"code": "verloren"}},
        Role.INTEGRATION,
    )
    [case] = shop_api.get("/carrier-exceptions", order_id=other_id)["data"]
    assert case["kind"] == "lost"


def test_a_bad_section_is_refused_naming_every_path_and_nothing_is_applied(shop_api: ShopApi) -> None:
    bad = {
        "finance": {"refund_approval_threshold": "lots", "channels": {"web": {"threshold": "1"}}},
        "returns": {"window_days": -1, "auto_approve_below": "x"},
        "carrier_exceptions": {"lost_codes": ["a"], "damaged_codes": ["a"]},
    }
    status, body = problem(shop_api, "POST", "/config", Role.MANAGER, bad)
    assert status == 422
    paths = {error["path"] for error in body["errors"]}
    assert {
        "finance.refund_approval_threshold",
        "finance.channels.web.threshold",
        "returns.window_days",
        "returns.auto_approve_below",
        "carrier_exceptions.damaged_codes",
    } <= paths
    exported = shop_api.get("/config", Role.MANAGER)
    assert exported["returns"]["window_days"] == 30  # the default stayed
