"""``conveyor config apply|diff|export`` and ``conveyor inventory``: what an operator types."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from conveyor.entrypoints.cli import app as cli_app
from conveyor.services.configuration import default_configuration


def run(database_url: str, *args: str) -> Result:
    environment = {**os.environ, "CONVEYOR_DATABASE_URL": database_url, "CONVEYOR_LOG_LEVEL": "WARNING"}
    return CliRunner().invoke(cli_app, list(args), env=environment)


@pytest.fixture
def database(database_url: str) -> str:
    assert run(database_url, "db", "upgrade").exit_code == 0
    return database_url


@pytest.fixture
def default_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(default_configuration(), sort_keys=False), encoding="utf-8")
    return path


def test_apply_then_export_then_apply_again_changes_nothing(
    database: str, default_file: Path, tmp_path: Path
) -> None:
    applied = run(database, "config", "apply", str(default_file))
    assert applied.exit_code == 0, applied.output
    assert "+ warehouses: BER-1" in applied.stdout
    exported = run(database, "config", "export")
    assert exported.exit_code == 0
    copy = tmp_path / "exported.yaml"
    copy.write_text(exported.stdout, encoding="utf-8")
    again = run(database, "config", "apply", str(copy))
    assert (again.exit_code, again.stdout) == (0, "")
    assert "No changes" in again.stderr


def test_a_dry_run_prints_the_changes_and_writes_nothing(database: str, default_file: Path) -> None:
    dry = run(database, "config", "apply", str(default_file), "--dry-run")
    assert dry.exit_code == 0
    assert "+ products: LAPTOP-14" in dry.stdout
    assert "Dry run" in dry.stderr
    assert yaml.safe_load(run(database, "config", "export").stdout)["products"] == []


def test_diff_shows_a_changed_price(database: str, default_file: Path, tmp_path: Path) -> None:
    run(database, "config", "apply", str(default_file))
    document = yaml.safe_load(run(database, "config", "export").stdout)
    document["products"][0]["price"] = "99.00"
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(document), encoding="utf-8")
    diff = run(database, "config", "diff", str(edited))
    assert diff.exit_code == 0
    assert diff.stdout.strip() == f"~ products: {document['products'][0]['sku']} (price)"


def test_a_broken_document_exits_2_naming_every_path_and_applies_nothing(
    database: str, default_file: Path, tmp_path: Path
) -> None:
    document = yaml.safe_load(default_file.read_text(encoding="utf-8"))
    document["products"][0]["attributes"]["size"] = "XXXL"
    document["products"][4]["category"] = "gadgets"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    result = run(database, "config", "apply", str(broken))
    assert result.exit_code == 2
    assert "products[0].attributes.size: 'XXXL' is not one of" in result.stderr
    assert "products[4].category: unknown category 'gadgets'" in result.stderr
    assert yaml.safe_load(run(database, "config", "export").stdout)["categories"] == []


def test_a_missing_or_unreadable_file_is_an_error_not_a_traceback(database: str, tmp_path: Path) -> None:
    missing = run(database, "config", "apply", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 2
    assert "Cannot read" in missing.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories: [\n", encoding="utf-8")
    assert "is not valid YAML at line" in run(database, "config", "apply", str(bad)).stderr


def test_inventory_receive_levels_and_check(database: str, default_file: Path) -> None:
    run(database, "config", "apply", str(default_file))
    received = run(database, "inventory", "receive", "BER-1", "MUG-STONE", "12", "--bin", "B-07")
    assert received.exit_code == 0, received.output
    adjusted = run(database, "inventory", "adjust", "BER-1", "MUG-STONE", "--by", "-2", "--reason", "damaged")
    assert adjusted.exit_code == 0
    levels = run(database, "inventory", "levels", "--json")
    assert yaml.safe_load(levels.stdout) == [
        {"warehouse": "BER-1", "sku": "MUG-STONE", "on_hand": 10, "reserved": 0, "available": 10,
         "bin_location": "B-07"}
    ]  # fmt: skip
    assert run(database, "inventory", "check").exit_code == 0
    unknown = run(database, "inventory", "receive", "BER-1", "NOPE", "1")
    assert unknown.exit_code == 3
    assert "unknown_sku" in unknown.stderr


def test_init_loads_the_default_configuration_once_and_never_overwrites_it(
    database_url: str, tmp_path: Path
) -> None:
    assert run(database_url, "init").exit_code == 0
    exported = yaml.safe_load(run(database_url, "config", "export").stdout)
    assert {w["code"] for w in exported["warehouses"]} == {"BER-1", "LYS-1", "WAW-1"}
    assert {c["code"] for c in exported["channels"]} == {"web", "marketplace", "wholesale"}
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump({"warehouses": exported["warehouses"][:1]}), encoding="utf-8")
    assert "- warehouses: LYS-1" in run(database_url, "config", "apply", str(edited)).stdout
    assert run(database_url, "init").exit_code == 0
    again = yaml.safe_load(run(database_url, "config", "export").stdout)
    assert [w["code"] for w in again["warehouses"] if w["active"]] == ["BER-1"]
