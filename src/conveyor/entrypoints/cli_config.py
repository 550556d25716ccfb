"""``conveyor config`` (apply, diff, export) and ``conveyor inventory`` (levels, receive, adjust, check).

``config apply FILE.yaml`` validates the whole document and applies it in one
transaction, or with ``--dry-run`` prints what would change and writes
nothing; every problem is printed with its path in the document and the exit
code is 2. ``config export`` prints the stored configuration as YAML (stdout,
so it can be redirected to a file) and ``config diff FILE.yaml`` prints the
changes applying the file would make (``+`` added, ``~`` changed, ``-``
removed; exit 0 whether or not there are changes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from conveyor.bootstrap import Runtime, build_runtime
from conveyor.config import load_settings
from conveyor.domain.errors import InvalidConfigDocument
from conveyor.services import configuration, inventory
from conveyor.services.config_changes import ConfigChanges

config_app = typer.Typer(no_args_is_help=True, help="The configuration: categories, products, warehouses, "
                         "channels, carriers (apply, diff, export).")  # fmt: skip
inventory_app = typer.Typer(no_args_is_help=True, help="Stock levels, receipts, adjustments, ledger check.")

FileArgument = Annotated[Path, typer.Argument(help="A YAML (or JSON) configuration document")]


def _runtime() -> Runtime:
    return build_runtime(load_settings())


def _say(message: str) -> None:
    typer.echo(message, err=True)


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InvalidConfigDocument(
            f"Cannot read {path}: {err.strerror or err}",
            errors=[{"loc": ["FILE"], "msg": f"cannot read {path}"}],
        ) from err
    return configuration.load_document(text, str(path))


def _print_changes(changes: ConfigChanges) -> None:
    lines = changes.lines()
    for line in lines:
        typer.echo(line)
    if not lines:
        _say("No changes: the database already holds this configuration.")


@config_app.command("apply")
def config_apply(
    file: FileArgument,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the changes; write nothing.")] = False,
) -> None:
    """Validate FILE and apply it in one transaction (nothing is applied if anything is wrong)."""
    document = _read(file)
    runtime = _runtime()
    try:
        changes = configuration.apply_configuration(runtime.unit_of_work(), document, dry_run=dry_run)
    finally:
        runtime.close()
    _print_changes(changes)
    if dry_run:
        _say("Dry run: nothing was written.")
    elif changes.applied:
        count = len(changes.lines())
        _say(f"Applied {file}: {count} change(s).")


@config_app.command("diff")
def config_diff(file: FileArgument) -> None:
    """Print what applying FILE would change (+ added, ~ changed, - removed)."""
    document = _read(file)
    runtime = _runtime()
    try:
        changes = configuration.diff_configuration(runtime.unit_of_work(), document)
    finally:
        runtime.close()
    _print_changes(changes)


@config_app.command("export")
def config_export(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of YAML.")] = False,
) -> None:
    """Print the stored configuration as a document `config apply` reads back unchanged."""
    runtime = _runtime()
    try:
        document = configuration.export_configuration(runtime.unit_of_work())
    finally:
        runtime.close()
    if as_json:
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        typer.echo(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), nl=False)


@inventory_app.command("levels")
def inventory_levels(
    warehouse: Annotated[str | None, typer.Option(help="Only this warehouse")] = None,
    sku: Annotated[str | None, typer.Option(help="Only this SKU")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array instead of a table.")] = False,
) -> None:
    """Stock per warehouse and SKU: on hand, reserved, available, bin."""
    runtime = _runtime()
    try:
        levels = inventory.stock_levels(runtime.unit_of_work(), warehouse=warehouse, sku=sku)
    finally:
        runtime.close()
    rows = [{"warehouse": lv.warehouse, "sku": lv.sku, "on_hand": lv.on_hand, "reserved": lv.reserved,
             "available": lv.available, "bin_location": lv.bin_location} for lv in levels]  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table: list[tuple[str, ...]] = [("WAREHOUSE", "SKU", "ON HAND", "RESERVED", "AVAILABLE", "BIN")]
    table += [(lv.warehouse, lv.sku, str(lv.on_hand), str(lv.reserved), str(lv.available),
               lv.bin_location or "-") for lv in levels]  # fmt: skip
    widths = [max(len(line[i]) for line in table) for i in range(6)]
    for line in table:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


@inventory_app.command("receive")
def inventory_receive(
    warehouse: Annotated[str, typer.Argument(help="Warehouse code")],
    sku: Annotated[str, typer.Argument(help="SKU")],
    quantity: Annotated[int, typer.Argument(help="Units received")],
    reference: Annotated[str | None, typer.Option(help="Purchase order or delivery note")] = None,
    bin_location: Annotated[str | None, typer.Option("--bin", help="Bin location")] = None,
) -> None:
    """Record goods received into a warehouse."""
    runtime = _runtime()
    try:
        level = inventory.receive_stock(
            runtime.unit_of_work(), warehouse=warehouse, sku=sku, quantity=quantity, reference=reference,
            bin_location=bin_location,
        )  # fmt: skip
    finally:
        runtime.close()
    _say(f"{warehouse}/{sku}: on hand {level.on_hand}, available {level.available}.")


@inventory_app.command("adjust")
def inventory_adjust(
    warehouse: Annotated[str, typer.Argument(help="Warehouse code")],
    sku: Annotated[str, typer.Argument(help="SKU")],
    quantity: Annotated[int, typer.Option("--by", help="Units to add, or negative to remove: --by -2")],
    reason: Annotated[str, typer.Option(help="Why: count_correction, damaged, lost, found...")],
) -> None:
    """Correct on-hand stock (never below what is reserved)."""
    runtime = _runtime()
    try:
        level = inventory.adjust_stock(
            runtime.unit_of_work(), warehouse=warehouse, sku=sku, quantity=quantity, reason=reason
        )
    finally:
        runtime.close()
    _say(f"{warehouse}/{sku}: on hand {level.on_hand}, available {level.available}.")


@inventory_app.command("check")
def inventory_check() -> None:
    """Check that stock levels equal the ledger and the open reservations; exit 1 if not."""
    runtime = _runtime()
    try:
        violations = inventory.ledger_violations(runtime.unit_of_work())
    finally:
        runtime.close()
    for violation in violations:
        typer.echo(f"{violation.kind.value}: {violation}")
    if violations:
        _say(f"{len(violations)} problem(s) between stock levels, the ledger and reservations.")
        raise typer.Exit(1)
    _say("Stock levels, the movement ledger and open reservations agree.")
