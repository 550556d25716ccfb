"""Write docs/conformance.md: every third-party BPMN model and DMN TCK case with its result.

Run from anywhere: ``python scripts/conformance_table.py`` (or ``make conformance-table``).
The models are read from ``../shared/conformance`` next to the repository; the page is
rendered by ``tests/conformance/conformance_report.py`` (shared with the test that
checks the committed page is up to date).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared" / "conformance"
PAGE = REPO / "docs" / "conformance.md"


def main() -> int:
    if not SHARED.is_dir():
        print(f"error: {SHARED} not found: the conformance models live in the workspace's shared folder",
              file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO / "tests" / "conformance"))
    from conformance_report import render

    PAGE.write_text(render(SHARED.resolve()), encoding="utf-8")
    print(f"wrote {PAGE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
