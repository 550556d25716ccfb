"""``conveyor refunds ...``, ``conveyor returns ...``, ``conveyor payments ORDER``: finance from a terminal.

The same use cases as the API (``docs/finance.md``, ``docs/returns.md``):
results are printed as JSON on stdout; errors name the problem on stderr with
the usual exit codes (2 invalid input, 3 not found, 4 conflict or business
rule). The CLI acts as its operator: ``--by`` names who is recorded.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from conveyor.bootstrap import Runtime, build_runtime
from conveyor.config import load_settings
from conveyor.errors import InvalidInput
from conveyor.services import carrier_exceptions, finance, returns
from conveyor.services.workflow import workflow_for

refunds_app = typer.Typer(no_args_is_help=True, help="Refunds: request, list, approve or reject.")
returns_app = typer.Typer(no_args_is_help=True, help="Returns (RMA): request, list, receive.")

By = Annotated[str, typer.Option("--by", help="Who is recorded as doing it")]


def _runtime() -> Runtime:
    return build_runtime(load_settings())


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def _lines(raw: list[str], option: str) -> list[dict[str, int]]:
    """``["1:2", "3:1"]`` (line number:quantity) as request lines; a bad one names the option."""
    lines = []
    for index, item in enumerate(raw):
        number, _, quantity = item.partition(":")
        if not (number.strip().isdigit() and quantity.strip().isdigit()):
            raise InvalidInput(
                f"{option} {item!r} is not LINE:QUANTITY (e.g. {option} 1:2)",
                errors=[{"loc": [option, index], "path": option, "msg": "must be LINE:QUANTITY"}],
            )
        lines.append({"line_no": int(number), "quantity": int(quantity)})
    return lines


@refunds_app.command("request")
def refunds_request(
    order_id: Annotated[str, typer.Argument(help="The order to refund")],
    reason: Annotated[str, typer.Option(help="Why (required)")],
    line: Annotated[list[str] | None, typer.Option("--line", help="LINE:QUANTITY, repeatable")] = None,
    shipping: Annotated[str | None, typer.Option(help="Shipping to give back, e.g. 4.99")] = None,
    amount: Annotated[str | None, typer.Option(help="A plain amount, e.g. 10.00")] = None,
    by: By = "cli",
) -> None:
    """Request a refund; prints it after its process ran (issued, awaiting_approval, ...)."""
    runtime = _runtime()
    try:
        refund = finance.request_refund(
            runtime.unit_of_work(), order_id=order_id, lines=_lines(line or [], "--line"),
            shipping=shipping, amount=amount, reason=reason, requested_by=by,
        )  # fmt: skip
        _print(refund)
    finally:
        runtime.close()


@refunds_app.command("list")
def refunds_list(
    order_id: Annotated[str | None, typer.Option("--order", help="Only this order's refunds")] = None,
    status: Annotated[str | None, typer.Option(help="awaiting_approval, approved, issued, ...")] = None,
) -> None:
    """Refunds, oldest first."""
    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            _print(finance.list_refunds(session, order_id=order_id, status=status, limit=1000))
    finally:
        runtime.close()


@refunds_app.command("decide")
def refunds_decide(
    refund_id: Annotated[str, typer.Argument(help="The refund waiting for finance")],
    approve: Annotated[bool, typer.Option("--approve/--reject", help="Approve or reject")],
    reason: Annotated[str | None, typer.Option(help="Required when rejecting")] = None,
    by: By = "cli",
) -> None:
    """Approve or reject a refund waiting for the finance approval task."""
    runtime = _runtime()
    try:
        form = finance.decision_form(approve, reason)
        with runtime.session_factory() as session:
            refund = finance.get_refund(session, refund_id)
            task = finance.open_task(
                session, refund["process_instance_id"], "approve_refund", f"Refund {refund_id}"
            )
        workflow_for(runtime).complete_task(task["id"], form, completed_by=by)
        with runtime.session_factory() as session:
            _print(finance.get_refund(session, refund_id))
    finally:
        runtime.close()


@returns_app.command("request")
def returns_request(
    order_id: Annotated[str, typer.Argument(help="The order the goods came with")],
    reason_code: Annotated[str, typer.Option(help="A return reason code (exceptions.return_reasons)")],
    line: Annotated[list[str], typer.Option("--line", help="LINE:QUANTITY, repeatable")],
    text: Annotated[str | None, typer.Option(help="The customer's own words")] = None,
    by: By = "cli",
) -> None:
    """Request a return (RMA); prints it after its process ran (approved with a label, or requested)."""
    runtime = _runtime()
    try:
        rma = returns.request_return(
            runtime.unit_of_work(), order_id=order_id, lines=_lines(line, "--line"), reason_code=reason_code,
            reason_text=text, requested_by=by,
        )  # fmt: skip
        _print(rma)
    finally:
        runtime.close()


@returns_app.command("receive")
def returns_receive(
    return_id: Annotated[str, typer.Argument(help="The RMA id")],
    by: By = "cli",
) -> None:
    """The return parcel arrived (once: a second receipt exits 4)."""
    runtime = _runtime()
    try:
        _print(returns.receive_return(runtime.unit_of_work(), return_id, received_by=by))
    finally:
        runtime.close()


@returns_app.command("list")
def returns_list(
    order_id: Annotated[str | None, typer.Option("--order", help="Only this order's returns")] = None,
    status: Annotated[str | None, typer.Option(help="requested, approved, received, closed, ...")] = None,
) -> None:
    """Returns, oldest first."""
    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            _print(returns.list_returns(session, order_id=order_id, status=status, limit=1000))
    finally:
        runtime.close()


def payments(order_id: Annotated[str, typer.Argument(help="The order")]) -> None:
    """The order's payment ledger: authorized, captured, refunded, refundable, balance, entries, refunds."""
    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            _print(finance.payment_summary(session, order_id))
    finally:
        runtime.close()


def carrier_performance(carrier: Annotated[str, typer.Argument(help="The carrier's code")]) -> None:
    """A carrier's performance record: shipments, exceptions, late, lost, damaged, rates."""
    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            _print(carrier_exceptions.performance(session, carrier))
    finally:
        runtime.close()
