"""Every conformance case: each BPMN model file of ``../shared/conformance`` and its scenarios.

Every model file there has an entry (``test_bpmn_run.py`` checks that none is missing);
the entries live in ``bpmn_cases_miwg`` and ``bpmn_cases_spiff``.

``KNOWN_BUGS`` names the cases our engine does not yet get right, with the reason:
the test expects them to fail (strictly: a fix makes the test say so), so they stay
visible. ``HANGS`` are cases that currently never finish: they run with ``HANG_LIMIT``
seconds and count as failing when stopped.
"""

from __future__ import annotations

from bpmn_cases_miwg import MIWG_CASES
from bpmn_cases_spiff import SPIFF_CASES
from bpmn_expectations import Expectation

CASES: dict[str, dict[str, Expectation]] = {**MIWG_CASES, **SPIFF_CASES}

#: cases that do not yet behave as expected, and why (the test expects them to fail)
KNOWN_BUGS: dict[tuple[str, str], str] = {}

HANG_LIMIT = 3.0
#: any other case is stopped after this long (a regression into an endless loop fails fast)
CASE_LIMIT = 30.0


def time_limit(model: str, name: str) -> float:
    return HANG_LIMIT if (model, name) in HANGS else CASE_LIMIT


#: cases that currently never finish (run with a time limit; each is a bug)
HANGS: dict[tuple[str, str], str] = {}


def all_cases() -> list[tuple[str, str, Expectation]]:
    """``(model file, scenario name, expectation)`` for every case, in a stable order."""
    return [(model, name, expected) for model in sorted(CASES) for name, expected in CASES[model].items()]
