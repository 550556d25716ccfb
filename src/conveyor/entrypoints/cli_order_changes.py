"""``conveyor orders cancel|payment-method|address|edit ORDER``: order changes from a terminal.

The same use cases as the API (``docs/order-fulfilment.md#changes-after-placement``):
the order as it is afterwards is printed as JSON on stdout (id, status, lines,
amounts, where its workflow waits); errors name the problem on stderr with the
usual exit codes (2 invalid input, 3 not found, 4 conflict or business rule).
``--by`` names who is recorded as asking. The commands join ``conveyor orders``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from conveyor.bootstrap import Runtime, build_runtime
from conveyor.config import load_settings
from conveyor.entrypoints.cli_orders import orders_app
from conveyor.errors import InvalidInput
from conveyor.services import order_changes, order_edits, order_views
from conveyor.services.workflow import workflow_for

By = Annotated[str, typer.Option("--by", help="Who is recorded as asking for the change")]


def _runtime() -> Runtime:
    return build_runtime(load_settings())


def _print_order(runtime: Runtime, order_id: str) -> None:
    detail = order_views.order_detail(runtime.unit_of_work(), order_id)
    shown = {key: detail[key] for key in ("id", "status", "amounts", "lines", "allocations", "workflow")}
    typer.echo(json.dumps(shown, indent=2, default=str))


def _json_object(raw: str, option: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as err:
        raise InvalidInput(
            f"{option} is not JSON: {err.msg} at character {err.pos}",
            errors=[{"loc": [option], "path": option, "msg": "not JSON"}],
        ) from err
    if not isinstance(value, dict):
        raise InvalidInput(
            f"{option} must be a JSON object", errors=[{"loc": [option], "msg": "not an object"}]
        )
    return value


@orders_app.command("cancel")
def orders_cancel(
    order_id: Annotated[str, typer.Argument(help="The order to cancel")],
    reason: Annotated[str, typer.Option(help="Why (required)")],
    by: By = "cli",
) -> None:
    """Cancel an order (until hand-over): compensation undoes what was done, newest first."""
    runtime = _runtime()
    try:
        order_changes.request_cancellation(
            runtime.unit_of_work, workflow_for(runtime), order_id, reason=reason, requested_by=by
        )
        _print_order(runtime, order_id)
    finally:
        runtime.close()


@orders_app.command("payment-method")
def orders_payment_method(
    order_id: Annotated[str, typer.Argument(help="An order waiting for a new payment method")],
    token: Annotated[str, typer.Option(help="The new card's token")],
    by: By = "cli",
) -> None:
    """Give an order whose card was declined a new payment method; the payment is verified again."""
    runtime = _runtime()
    try:
        order_changes.submit_payment_method(
            runtime.unit_of_work, workflow_for(runtime), order_id, payment_token=token, requested_by=by
        )
        _print_order(runtime, order_id)
    finally:
        runtime.close()


@orders_app.command("address")
def orders_address(
    order_id: Annotated[str, typer.Argument(help="The order to re-address")],
    address: Annotated[
        str, typer.Option(help='The new address as JSON: {"name", "line1", "city", "country"...}')
    ],
    reason: Annotated[str | None, typer.Option(help="Why")] = None,
    by: By = "cli",
) -> None:
    """Correct the shipping address (re-allocates before the label; a carrier intercept after it)."""
    runtime = _runtime()
    try:
        outcome = order_edits.correct_address(
            runtime.unit_of_work,
            workflow_for(runtime),
            order_id,
            address=_json_object(address, "--address"),
            reason=reason,
            requested_by=by,
        )
        typer.echo(f"address correction: {outcome['outcome']}", err=True)
        _print_order(runtime, order_id)
    finally:
        runtime.close()


def _line_changes(lines: list[str], removes: list[str]) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    for raw in lines:
        sku, sep, quantity = raw.partition("=")
        if not sep or not sku.strip():
            raise InvalidInput(
                f"--line {raw!r} is not SKU=QUANTITY",
                errors=[{"loc": ["--line"], "msg": f"{raw!r}: SKU=QUANTITY"}],
            )
        try:
            changes.append({"sku": sku.strip(), "quantity": int(quantity)})
        except ValueError:
            changes.append({"sku": sku.strip(), "quantity": quantity})  # the edit names it as not a number
    changes.extend({"sku": sku.strip(), "remove": True} for sku in removes)
    return changes


@orders_app.command("edit")
def orders_edit(
    order_id: Annotated[str, typer.Argument(help="The order to edit (until picking starts)")],
    line: Annotated[
        list[str] | None, typer.Option("--line", help="SKU=QUANTITY: the SKU's new quantity")
    ] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="SKU: remove its line")] = None,
    reason: Annotated[str | None, typer.Option(help="Why")] = None,
    by: By = "cli",
) -> None:
    """Change quantities, add or remove lines; the difference is reserved and the payment adjusted."""
    runtime = _runtime()
    try:
        data: dict[str, Any] = {"lines": _line_changes(line or [], remove or [])}
        if reason:
            data["reason"] = reason
        order_edits.edit_lines(
            runtime.unit_of_work, workflow_for(runtime), order_id, data=data, requested_by=by
        )
        _print_order(runtime, order_id)
    finally:
        runtime.close()
