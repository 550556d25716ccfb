"""Process diagrams as SVG: the bundled model, an instance's path, models without DI, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from diagram_helpers import with_diagram
from lxml import etree
from test_cli_process import run
from workflow_models import quality_check, undecidable_gateway

from conveyor.bootstrap import Runtime
from conveyor.services.workflow import Workflow
from conveyor.services.workflow.diagram import NoDiagramInformation, process_diagram

SVG = "{http://www.w3.org/2000/svg}"
BUNDLED = Path(__file__).resolve().parents[3] / "src" / "conveyor" / "processes" / "order-fulfillment.bpmn"


def _groups(svg: str) -> dict[str, etree._Element]:
    """element id -> its first drawn group (parsing also proves the SVG is well-formed XML)."""
    root = etree.fromstring(svg.encode())
    assert root.tag == f"{SVG}svg"
    found: dict[str, etree._Element] = {}
    for g in root.iter(f"{SVG}g"):
        found.setdefault(g.get("data-element-id"), g)
    return found


def _classes(group: etree._Element) -> set[str]:
    return set((group.get("class") or "").split())


def test_the_bundled_order_fulfilment_diagram_has_an_element_per_shape(
    workflow: Workflow, migrated_runtime: Runtime
) -> None:
    source = BUNDLED.read_bytes()
    workflow.deploy(source, file_name=BUNDLED.name)
    with migrated_runtime.session_factory() as session:
        svg = process_diagram(session, "order-fulfillment")
    groups = _groups(svg)
    model = etree.fromstring(source)
    shapes = {s.get("bpmnElement") for s in model.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape")}
    edges = {e.get("bpmnElement") for e in model.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNEdge")}
    assert shapes and shapes <= set(groups)
    assert edges <= set(groups)
    # tasks are rounded rectangles, events circles, gateways diamonds
    kinds = {g.get("data-element-id"): _classes(g) for g in groups.values()}
    task = next(i for i, c in kinds.items() if "userTask" in c)
    assert groups[task].find(f"{SVG}rect").get("rx") == "10"
    start = next(i for i, c in kinds.items() if "startEvent" in c)
    assert groups[start].find(f"{SVG}circle") is not None
    gateway = next(i for i, c in kinds.items() if "exclusiveGateway" in c)
    assert groups[gateway].find(f"{SVG}polygon") is not None
    assert "<script" not in svg and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_an_instance_diagram_highlights_where_it_is_and_what_it_did(
    workflow: Workflow, migrated_runtime: Runtime
) -> None:
    workflow.deploy(with_diagram(quality_check(), "qc_process"))
    started = workflow.start("qc_process")
    with migrated_runtime.session_factory() as session:
        svg = process_diagram(session, "qc_process", 1, instance_id=started.id)
    groups = _groups(svg)
    assert "active" in _classes(groups["quality_check"])
    assert "completed" in _classes(groups["start"])
    assert "completed" in _classes(groups["f_start_quality_check"])
    assert not {"active", "completed"} & _classes(groups["end"])
    assert "completed" not in _classes(groups["f_quality_check_end"])
    assert "Quality check" in svg


def test_an_incident_is_drawn_in_red(workflow: Workflow, migrated_runtime: Runtime) -> None:
    workflow.deploy(with_diagram(undecidable_gateway(), "routing"))
    started = workflow.start("routing")
    assert started.state == "failed"
    with migrated_runtime.session_factory() as session:
        svg = process_diagram(session, "routing", instance_id=started.id)
    groups = _groups(svg)
    assert "incident" in _classes(groups["route"])
    assert "active" not in _classes(groups["route"])
    assert ".incident > .shape" in svg and "#c62828" in svg


def test_a_model_without_diagram_information_is_refused(
    workflow: Workflow, migrated_runtime: Runtime
) -> None:
    workflow.deploy(quality_check())
    with migrated_runtime.session_factory() as session, pytest.raises(NoDiagramInformation) as raised:
        process_diagram(session, "qc_process", 1)
    assert "no diagram information" in str(raised.value)
    assert raised.value.code == "no_diagram"


def test_an_instance_of_another_process_is_refused(workflow: Workflow, migrated_runtime: Runtime) -> None:
    workflow.deploy(with_diagram(quality_check(), "qc_process"))
    workflow.deploy(with_diagram(undecidable_gateway(), "routing"))
    other = workflow.start("routing")
    with migrated_runtime.session_factory() as session, pytest.raises(Exception, match="runs 'routing'"):
        process_diagram(session, "qc_process", 1, instance_id=other.id)


def test_names_are_escaped(workflow: Workflow, migrated_runtime: Runtime) -> None:
    workflow.deploy(with_diagram(quality_check(name="Check &lt;b&gt; &amp; &quot;sign&quot;"), "qc_process"))
    with migrated_runtime.session_factory() as session:
        svg = process_diagram(session, "qc_process")
    assert "<b>" not in svg
    texts = "".join(etree.fromstring(svg.encode()).itertext())
    assert 'Check <b> & "sign"' in texts


def test_cli_process_diagram_writes_the_svg(
    workflow: Workflow, migrated_runtime: Runtime, tmp_path: Path
) -> None:
    workflow.deploy(with_diagram(quality_check(), "qc_process"))
    target = tmp_path / "qc.svg"
    done = run(migrated_runtime, "process", "diagram", "qc_process", "--version", "1", "-o", str(target))
    assert done.exit_code == 0, done.output
    assert "quality_check" in _groups(target.read_text())
    printed = run(migrated_runtime, "process", "diagram", "qc_process")
    assert printed.exit_code == 0 and printed.stdout.startswith("<svg")
    missing = run(migrated_runtime, "process", "diagram", "nope")
    assert missing.exit_code != 0
    workflow.deploy(undecidable_gateway())
    without = run(migrated_runtime, "process", "diagram", "routing")
    assert without.exit_code == 2 and "no diagram information" in without.output
