"""Changes to a placed order: cancel it, give a new payment method, correct the address, edit lines.

Each answers with the order as ``GET /orders/{id}`` shows it once the change
and the workflow steps it caused are committed, or a problem+json naming why
the change is not possible any more (409, stable ``code``) or which field is
wrong (422); a refused change writes nothing. Support, managers and
integrations (a shop forwarding its customer's request) may change orders.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from conveyor.domain.auth import Principal, Role
from conveyor.entrypoints.api.routes.orders import OrderPublic
from conveyor.entrypoints.api.routes.workflow_common import WorkflowDep
from conveyor.entrypoints.api.security import CurrentPrincipal, RuntimeDep, require_roles
from conveyor.errors import InvalidInput
from conveyor.services import order_changes, order_edits, order_views

router = APIRouter(prefix="/orders", tags=["orders"])

OrderChanger = Annotated[Principal, Depends(require_roles(Role.SUPPORT, Role.MANAGER, Role.INTEGRATION))]


def _body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput(
            "The body must be a JSON object", errors=[{"loc": ["body"], "msg": "not an object"}]
        )
    return body


@router.post(
    "/{order_id}/cancel",
    response_model=OrderPublic,
    summary="Cancel an order (until hand-over): compensation undoes what was done, newest first",
    responses={
        409: {"description": "Handed over already, or already cancelled (code order_not_cancellable)"}
    },
)
def cancel_order(
    order_id: str,
    principal: OrderChanger,
    runtime: RuntimeDep,
    workflow: WorkflowDep,
    body: Annotated[Any, Body(examples=[{"reason": "customer changed their mind"}])],
) -> OrderPublic:
    order_changes.request_cancellation(
        runtime.unit_of_work,
        workflow,
        order_id,
        reason=_body(body).get("reason"),
        requested_by=principal.name,
        now=datetime.now(UTC),
    )
    return OrderPublic(**order_views.order_detail(runtime.unit_of_work(), order_id))


@router.post(
    "/{order_id}/payment-method",
    response_model=OrderPublic,
    summary="A new payment method for an order waiting after a declined payment",
    responses={409: {"description": "The order does not wait for one (code payment_method_not_awaited)"}},
)
def new_payment_method(
    order_id: str,
    principal: OrderChanger,
    runtime: RuntimeDep,
    workflow: WorkflowDep,
    body: Annotated[Any, Body(examples=[{"payment_token": "tok_visa"}])],
) -> OrderPublic:
    order_changes.submit_payment_method(
        runtime.unit_of_work,
        workflow,
        order_id,
        payment_token=_body(body).get("payment_token"),
        requested_by=principal.name,
        now=datetime.now(UTC),
    )
    return OrderPublic(**order_views.order_detail(runtime.unit_of_work(), order_id))


@router.get("/{order_id}/changes", summary="The changes asked of the order since it was placed, oldest first")
def list_changes(order_id: str, _: CurrentPrincipal, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.unit_of_work() as uow:
        order_changes.lock_free_order(uow, order_id)
        data = order_changes.changes_of(uow.session, order_id)
    return {"order_id": order_id, "data": data, "count": len(data)}


@router.post(
    "/{order_id}/shipping-address",
    response_model=OrderPublic,
    summary="Correct the shipping address: re-allocates before the label, a carrier intercept after it",
    responses={409: {"description": "Handed over already (code address_change_refused)"}},
)
def correct_shipping_address(
    order_id: str,
    principal: OrderChanger,
    runtime: RuntimeDep,
    workflow: WorkflowDep,
    body: Annotated[
        Any,
        Body(
            examples=[
                {
                    "shipping_address": {
                        "name": "Ada Lovelace",
                        "line1": "3 Place Bellecour",
                        "postal_code": "69002",
                        "city": "Lyon",
                        "country": "FR",
                    },
                    "reason": "customer moved",
                }
            ]
        ),
    ],
) -> OrderPublic:
    data = _body(body)
    order_edits.correct_address(
        runtime.unit_of_work,
        workflow,
        order_id,
        address=data.get("shipping_address"),
        reason=data.get("reason"),
        requested_by=principal.name,
        now=datetime.now(UTC),
    )
    return OrderPublic(**order_views.order_detail(runtime.unit_of_work(), order_id))


EDIT_EXAMPLE = {
    "lines": [{"sku": "MUG-STONE", "quantity": 3}, {"sku": "TEE-BLK-M", "remove": True}],
    "reason": "x",
}


def _edit(order_id: str, principal: Principal, runtime: Any, workflow: Any, body: Any) -> OrderPublic:
    order_edits.edit_lines(
        runtime.unit_of_work,
        workflow,
        order_id,
        data=_body(body),
        requested_by=principal.name,
        now=datetime.now(UTC),
    )
    return OrderPublic(**order_views.order_detail(runtime.unit_of_work(), order_id))


@router.post(
    "/{order_id}/edits",
    response_model=OrderPublic,
    summary="Edit lines until picking starts (new quantity per SKU; new SKUs added; remove: true removes)",
    responses={409: {"description": "Picking started (code order_not_editable)"}},
)
def edit_order(
    order_id: str,
    principal: OrderChanger,
    runtime: RuntimeDep,
    workflow: WorkflowDep,
    body: Annotated[Any, Body(examples=[EDIT_EXAMPLE])],
) -> OrderPublic:
    return _edit(order_id, principal, runtime, workflow, body)


@router.patch(
    "/{order_id}", response_model=OrderPublic, summary="Edit lines (the same as POST /orders/{id}/edits)"
)
def patch_order(
    order_id: str,
    principal: OrderChanger,
    runtime: RuntimeDep,
    workflow: WorkflowDep,
    body: Annotated[Any, Body(examples=[EDIT_EXAMPLE])],
) -> OrderPublic:
    return _edit(order_id, principal, runtime, workflow, body)
