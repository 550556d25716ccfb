"""The DMN TCK (compliance level 2) and Camunda's dinner DRG, read from ../shared/conformance.

For every folder of ``dmn-tck/`` the ``.dmn`` model is parsed and each test case
of its ``*-test-01.xml`` (schema ``testCases.xsd``) is evaluated: input node
values (typed with ``xsi:type``, or made of components and lists) go in, the
result node's decision is evaluated, and the value must equal the expected one.
Numbers are compared as ``Decimal`` within ``NUMBER_TOLERANCE``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from conveyor.engine.dmn import evaluate_decision, parse_dmn
from conveyor.engine.errors import DecisionError

#: where the cases are collected from; running them goes through the ``shared_dir`` fixture,
#: which skips when the workspace's shared folder is absent
TCK = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance" / "dmn-tck"
TESTCASE_NS = "http://www.omg.org/spec/DMN/20160719/testcase"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
#: Some expected numbers were computed in binary floating point: 0008-LX-arithmetic case 003 expects
#: 2861.03377700389 where the exact (34-digit decimal) payment is 2861.0337770039016...; conformant
#: TCK runners compare numbers within 1e-8, and so do we.
NUMBER_TOLERANCE = Decimal("1e-8")


def _tag(name: str) -> str:
    return f"{{{TESTCASE_NS}}}{name}"


def _read(path: Path) -> etree._Element:
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()


def _collect_cases() -> list[Any]:
    if not TCK.is_dir():
        return [pytest.param("", "", id="dmn-tck-missing")]
    params = []
    for folder in sorted(p for p in TCK.iterdir() if p.is_dir()):
        for test_file in sorted(folder.glob("*-test-01.xml")):
            for case in _read(test_file).iter(_tag("testCase")):
                relative = f"{folder.name}/{test_file.name}"
                params.append(pytest.param(relative, case.get("id"), id=f"{folder.name}:{case.get('id')}"))
    return params


def _scalar(element: etree._Element) -> Any:
    if element.get(f"{{{XSI}}}nil") == "true":
        return None
    text = element.text or ""
    kind = (element.get(f"{{{XSI}}}type") or "xsd:string").split(":")[-1]
    if kind in ("decimal", "double", "float", "integer", "int", "long", "short"):
        return Decimal(text.strip())
    if kind == "boolean":
        return text.strip() == "true"
    if kind == "date":
        return datetime.date.fromisoformat(text.strip())
    if kind == "dateTime":
        return datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if kind == "time":
        return datetime.time.fromisoformat(text.strip().replace("Z", "+00:00"))
    if kind == "string":
        return text
    raise NotImplementedError(f"xsi:type {kind} is not read by this test yet")


def _value(element: etree._Element) -> Any:
    """A ``valueType`` element: a ``value``, ``component``s (a context) or a ``list``."""
    value = element.find(_tag("value"))
    if value is not None:
        return _scalar(value)
    components = element.findall(_tag("component"))
    if components:
        return {component.get("name"): _value(component) for component in components}
    items = element.find(_tag("list"))
    if items is not None:
        return [_value(item) for item in items.findall(_tag("item"))]
    return None


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, Decimal):
        if not isinstance(actual, Decimal):
            return False
        return abs(actual - expected) < NUMBER_TOLERANCE
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and set(actual) == set(expected)
            and all(_same(actual[key], value) for key, value in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_same(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return type(actual) is type(expected) and actual == expected


@pytest.mark.parametrize(("relative_file", "case_id"), _collect_cases())
def test_dmn_tck_case_gives_the_expected_result(shared_dir: Path, relative_file: str, case_id: str) -> None:
    test_file = shared_dir / "dmn-tck" / relative_file
    root = _read(test_file)
    model_name = root.findtext(_tag("modelName"))
    definitions = parse_dmn(test_file.with_name(model_name).read_bytes(), file=model_name)
    case = next(c for c in root.iter(_tag("testCase")) if c.get("id") == case_id)
    inputs = {node.get("name"): _value(node) for node in case.findall(_tag("inputNode"))}
    result_nodes = case.findall(_tag("resultNode"))
    assert result_nodes, "a test case without result nodes checks nothing"
    for node in result_nodes:
        decision = definitions.find(node.get("name"))
        assert decision is not None, f"no decision named {node.get('name')!r} in {model_name}"
        if node.get("errorResult") == "true":
            with pytest.raises(DecisionError):
                evaluate_decision(definitions, decision.id, inputs)
            continue
        expected = _value(node.find(_tag("expected")))
        actual = evaluate_decision(definitions, decision.id, inputs).value
        assert _same(actual, expected), f"{decision.name}: expected {expected!r}, got {actual!r}"


@pytest.mark.parametrize(
    ("season", "guests", "children", "dish", "beverages"),
    [
        ("Spring", 4, False, "Dry Aged Gourmet Steak", ["Pinot Noir", "Water"]),
        ("Spring", 6, True, "Steak", ["Pinot Noir", "Apple Juice", "Water"]),
        ("Fall", 8, False, "Spareribs", ["Aecht Schlenkerla Rauchbier", "Water"]),
        ("Winter", 10, True, "Stew", ["Guiness", "Apple Juice", "Water"]),
        ("Summer", 20, False, "Light Salad and a nice Steak", ["Pinot Noir", "Water"]),
    ],
)
def test_camunda_dinner_drg_chooses_beverages_from_the_required_dish(
    shared_dir, season, guests, children, dish, beverages
):
    dinner = shared_dir / "camunda-examples" / "dinnerDecisions.dmn"
    definitions = parse_dmn(dinner.read_bytes(), file=dinner.name)
    variables = {"season": season, "guestCount": guests, "guestsWithChildren": children}
    result = evaluate_decision(definitions, "beverages", variables)
    assert result.evaluated["dish"].value == dish
    assert result.value == beverages
    assert [rule.id for rule in result.matched_rules][-1] == "row-506282952-12"  # water, always


SPIFF_DMN = sorted(
    str(p.relative_to(TCK.parent / "spiffworkflow")) for p in (TCK.parent / "spiffworkflow").glob("**/*.dmn")
)


@pytest.mark.parametrize("name", SPIFF_DMN or ["missing"])
def test_spiffworkflow_dmn_files_load(shared_dir, name):
    definitions = parse_dmn((shared_dir / "spiffworkflow" / name).read_bytes(), file=name)
    assert definitions.decisions


def test_spiffworkflow_integer_decision_picks_the_row_for_each_number(shared_dir):
    path = shared_dir / "spiffworkflow" / "camunda" / "data" / "dmn" / "test_integer_decision.dmn"
    definitions = parse_dmn(path.read_bytes(), file=path.name)
    # the input expression is empty: Camunda Modeler 3 meant the variable named by the label, x
    table = "IntegerDecisionStringOutputTable"
    decide = [evaluate_decision(definitions, table, {"x": x}).value for x in range(2, 8)]
    assert decide == [None, "A", "B", "C", "D", "D"]
