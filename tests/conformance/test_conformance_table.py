"""docs/conformance.md is the page ``scripts/conformance_table.py`` would write now."""

from __future__ import annotations

from pathlib import Path

from conformance_report import render

PAGE = Path(__file__).resolve().parents[2] / "docs" / "conformance.md"


def test_committed_conformance_page_matches_a_fresh_run(shared_dir: Path) -> None:
    fresh = render(shared_dir)
    assert PAGE.read_text(encoding="utf-8") == fresh, (
        "docs/conformance.md is out of date: run `make conformance-table` and commit it"
    )


def test_conformance_page_lists_every_model_and_tck_case(shared_dir: Path) -> None:
    page = PAGE.read_text(encoding="utf-8")
    for path in sorted((shared_dir / "bpmn-miwg").glob("*.bpmn")):
        assert f"`bpmn-miwg/{path.name}`" in page
    for folder in sorted(p for p in (shared_dir / "dmn-tck").iterdir() if p.is_dir()):
        assert f"| {folder.name} |" in page
