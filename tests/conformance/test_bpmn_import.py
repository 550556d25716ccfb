"""Third-party BPMN models import: the OMG MIWG reference models and SpiffWorkflow's test models.

MIWG: every reference model imports without error (descriptive processes are read
permissively), and what the parser read matches the file, counted here independently
with an lxml walk. SpiffWorkflow: each model either parses, or is refused for a
reason we chose on purpose (Python scripts are never executed) -- the test id says
which; models needing features we do not have yet are xfailed with the reason.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from conveyor.engine.bpmn import check_bpmn, parse_bpmn

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CONFORMANCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance"
MIWG = sorted(p.name for p in (CONFORMANCE / "bpmn-miwg").glob("*.bpmn"))
SPIFF = sorted(
    str(p.relative_to(CONFORMANCE / "spiffworkflow")) for p in CONFORMANCE.glob("spiffworkflow/**/*.bpmn")
)

FLOW_NODES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "serviceTask", "sendTask", "receiveTask", "userTask", "manualTask", "scriptTask",
    "businessRuleTask", "subProcess", "transaction", "adHocSubProcess", "callActivity",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
}  # fmt: skip

PYTHON_SCRIPTS = "its script tasks are Python statements, which Conveyor never executes"
#: Spiff models refused on purpose: the codes of the errors, and why.
REFUSED = {
    "bpmn/data/boundary_timer_on_task.bpmn": ({"unsupported_script"}, PYTHON_SCRIPTS),
    "bpmn/data/call_activity_call_activity.bpmn": ({"unsupported_script"}, PYTHON_SCRIPTS),
    "bpmn/data/call_activity_end_event.bpmn": ({"unsupported_script"}, PYTHON_SCRIPTS),
    "bpmn/data/call_activity_with_error.bpmn": ({"unsupported_script"}, PYTHON_SCRIPTS),
    "bpmn/data/inclusive_gateway.bpmn": ({"unsupported_script"}, PYTHON_SCRIPTS),
    "bpmn/data/timer-cycle.bpmn": ({"unsupported_script"}, PYTHON_SCRIPTS),
    "bpmn/data/timer-date-start.bpmn": (
        {"unsupported_script", "bad_timer"},
        "its timer date is a Python variable and its script Python statements",
    ),
    "camunda/data/external_message.bpmn": (
        {"unsupported_script"},
        "its scripts are Python statements and a Spiff-specific 'reset' script format",
    ),
    "spiff/data/business_rule_task.bpmn": ({"unsupported_script"}, PYTHON_SCRIPTS),
}
#: Spiff models using BPMN features we have not built: they should parse one day.
NOT_YET = {
    "bpmn/data/conditional_event.bpmn": "conditional events are not supported",
    "bpmn/data/transaction.bpmn": "transactions and cancel events are not supported "
    "(and its scripts are Python)",
}


def _tree(path: Path) -> etree._Element:
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()


def _is_bpmn(el: etree._Element) -> bool:
    return isinstance(el.tag, str) and etree.QName(el).namespace == BPMN


@pytest.mark.parametrize("name", MIWG or ["(none)"])
def test_miwg_reference_model_imports_and_matches_the_file(shared_dir: Path, name: str) -> None:
    path = shared_dir / "bpmn-miwg" / name
    defs = parse_bpmn(path.read_bytes(), file=name)
    root = _tree(path)

    expected_inventory = Counter(etree.QName(el).localname for el in root.iter() if _is_bpmn(el))
    assert dict(defs.inventory) == dict(expected_inventory)

    for process_el in root.iter(f"{{{BPMN}}}process"):
        process = defs.processes[process_el.get("id")]
        flow_nodes = [
            el.get("id")
            for el in process_el.iter()
            if _is_bpmn(el) and etree.QName(el).localname in FLOW_NODES
        ]
        flows = [el.get("id") for el in process_el.iter(f"{{{BPMN}}}sequenceFlow")]
        assert sorted(process.all_nodes) == sorted(flow_nodes)
        assert sorted(process.all_flows) == sorted(flows)
        for flow_el in process_el.iter(f"{{{BPMN}}}sequenceFlow"):
            flow = process.all_flows[flow_el.get("id")]
            assert flow.id in process.node(flow.source).outgoing
            assert flow.id in process.node(flow.target).incoming
        if process_el.get("isExecutable") == "true":
            assert process.executable
    assert len(defs.participants) == expected_inventory["participant"]
    assert len(defs.message_flows) == expected_inventory["messageFlow"]
    assert set(defs.messages) == {el.get("id") for el in root.iter(f"{{{BPMN}}}message")}
    assert defs.has_diagram


def _spiff_params() -> list[object]:
    params: list[object] = []
    for name in SPIFF or ["(none)"]:
        if name in NOT_YET:
            mark = pytest.mark.xfail(reason=NOT_YET[name])
            params.append(pytest.param(name, id=f"{name}-not-yet", marks=mark))
        elif name in REFUSED:
            params.append(pytest.param(name, id=f"{name}-refused"))
        else:
            params.append(pytest.param(name, id=f"{name}-parses"))
    return params


@pytest.mark.parametrize("name", _spiff_params())
def test_spiffworkflow_model_parses_or_is_refused_for_a_stated_reason(shared_dir: Path, name: str) -> None:
    source = (shared_dir / "spiffworkflow" / name).read_bytes()
    errors = [p for p in check_bpmn(source, file=name) if p.severity == "error"]
    if name in REFUSED:
        codes, _reason = REFUSED[name]
        assert errors, "expected the model to be refused"
        assert {p.code for p in errors} == codes
        assert all(p.element_id and p.line and p.hint for p in errors)
        return
    assert errors == []
    defs = parse_bpmn(source, file=name)
    assert defs.processes


ZEEBE = "http://camunda.org/schema/zeebe/1.0"
CAMUNDA_8_MODELS = [name for name in MIWG if name.startswith(("C.8.", "C.9."))]


@pytest.mark.parametrize("name", CAMUNDA_8_MODELS or ["(none)"])
def test_camunda_8_models_bind_every_task_definition_to_its_handler(shared_dir: Path, name: str) -> None:
    path = shared_dir / "bpmn-miwg" / name
    defs = parse_bpmn(path.read_bytes(), file=name)
    nodes = {n.id: n for p in defs.processes.values() for n in p.all_nodes.values()}
    root = _tree(path)
    checked = 0
    for definition in root.iter(f"{{{ZEEBE}}}taskDefinition"):
        element = definition.getparent().getparent()
        node = nodes[element.get("id")]
        assert getattr(node, "task_type", None) == definition.get("type"), element.get("id")
        checked += 1
    for called in root.iter(f"{{{ZEEBE}}}calledDecision"):
        node = nodes[called.getparent().getparent().get("id")]
        assert getattr(node, "decision_ref", None) == called.get("decisionId")
        checked += 1
    assert checked
