"""The DMN TCK cases of ``../shared/conformance/dmn-tck``, each evaluated to a verdict for the table.

``test_dmn_tck.py`` asserts these cases; this module *reports* them (a verdict and a
detail per case instead of an assertion), for ``conformance_report``. Values are read
from the TCK's ``testCases.xsd`` XML (``xsi:type`` scalars, components, lists) and
numbers compared within ``TOLERANCE``, as conformant TCK runners do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from conveyor.engine.dmn import evaluate_decision, parse_dmn
from conveyor.engine.errors import DecisionError, EngineError

NS = "{http://www.omg.org/spec/DMN/20160719/testcase}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
TOLERANCE = Decimal("1e-8")
NUMBERS = {"decimal", "double", "float", "integer", "int", "long", "short"}


@dataclass(frozen=True)
class TckCase:
    folder: str
    test_file: str
    case_id: str


@dataclass(frozen=True)
class Verdict:
    result: str  # "passes" or "fails"
    detail: str = ""


def _xml(path: Path) -> etree._Element:
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()


def tck_cases(root: Path) -> Iterator[TckCase]:
    for folder in sorted(p for p in (root / "dmn-tck").iterdir() if p.is_dir()):
        for test_file in sorted(folder.glob("*-test-*.xml")):
            for case in _xml(test_file).iter(f"{NS}testCase"):
                yield TckCase(folder.name, test_file.name, case.get("id") or "")


def _scalar(element: etree._Element) -> Any:
    if element.get(XSI_NIL) == "true":
        return None
    text = (element.text or "").strip()
    kind = (element.get(XSI_TYPE) or "xsd:string").split(":")[-1]
    if kind in NUMBERS:
        return Decimal(text)
    if kind == "boolean":
        return text == "true"
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "dateTime":
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if kind == "string":
        return element.text or ""
    raise ValueError(f"xsi:type {kind} is not read by the conformance table")


def _value(element: etree._Element | None) -> Any:
    if element is None:
        return None
    value = element.find(f"{NS}value")
    if value is not None:
        return _scalar(value)
    components = element.findall(f"{NS}component")
    if components:
        return {c.get("name"): _value(c) for c in components}
    items = element.find(f"{NS}list")
    if items is not None:
        return [_value(item) for item in items.findall(f"{NS}item")]
    return None


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, Decimal):
        return isinstance(actual, Decimal) and abs(actual - expected) < TOLERANCE
    if isinstance(expected, dict):
        return isinstance(actual, dict) and set(actual) == set(expected) and all(
            _same(actual[k], v) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_same(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return type(actual) is type(expected) and actual == expected


def judge(root: Path, case: TckCase) -> Verdict:
    """Evaluate every result node of the case; the first difference or error is the detail."""
    tests = _xml(root / "dmn-tck" / case.folder / case.test_file)
    element = next(c for c in tests.iter(f"{NS}testCase") if c.get("id") == case.case_id)
    model = tests.findtext(f"{NS}modelName") or ""
    try:
        definitions = parse_dmn((root / "dmn-tck" / case.folder / model).read_bytes(), file=model)
        inputs = {node.get("name"): _value(node) for node in element.findall(f"{NS}inputNode")}
        checked = []
        for node in element.findall(f"{NS}resultNode"):
            decision = definitions.find(node.get("name") or "")
            if decision is None:
                return Verdict("fails", f"no decision named {node.get('name')!r}")
            if node.get("errorResult") == "true":
                try:
                    evaluate_decision(definitions, decision.id, inputs)
                except DecisionError:
                    checked.append(f"{decision.name}: an error")
                    continue
                return Verdict("fails", f"{decision.name}: expected an error")
            expected = _value(node.find(f"{NS}expected"))
            actual = evaluate_decision(definitions, decision.id, inputs).value
            if not _same(actual, expected):
                return Verdict("fails", f"{decision.name}: expected {_show(expected)}, got {_show(actual)}")
            checked.append(f"{decision.name} = {_show(actual)}")
    except (EngineError, ValueError) as err:
        return Verdict("fails", f"{type(err).__name__}: {err}")
    return Verdict("passes", "; ".join(checked))


def _show(value: Any) -> str:
    """A value as FEEL would write it (numbers plain, strings quoted)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value)
