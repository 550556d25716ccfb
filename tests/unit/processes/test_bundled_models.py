"""Every bundled model is one a modelling tool can open and lay out.

Camunda Modeler and bpmn.io read the OMG BPMN 2.0 schema and draw only what
has diagram information. So each bundled ``.bpmn`` must be valid against the
BPMN 2.0 XSD (the copy shipped in the SpiffWorkflow test dependency is used,
not one of ours), and every flow node, sequence flow, pool and lane of every
process must have a shape or edge with geometry.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from lxml import etree

import conveyor.processes

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

PROCESSES_DIR = Path(str(resources.files(conveyor.processes)))
MODELS = sorted(PROCESSES_DIR.glob("*.bpmn"))

# Elements drawn as shapes, and as edges, when they appear in a process.
SHAPED = {
    "task", "serviceTask", "userTask", "manualTask", "scriptTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "startEvent", "endEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway",
    "parallelGateway", "inclusiveGateway", "eventBasedGateway", "dataObjectReference",
    "dataStoreReference", "textAnnotation",
}  # fmt: skip
EDGED = {"sequenceFlow", "association", "messageFlow"}


def _schema() -> etree.XMLSchema:
    spiff = pytest.importorskip(
        "SpiffWorkflow", reason="the BPMN 2.0 XSD comes with the dev dependency spiffworkflow"
    )
    xsd = Path(spiff.__file__).parent / "bpmn" / "parser" / "schema" / "BPMN20.xsd"
    if not xsd.exists():
        pytest.skip(f"no BPMN 2.0 schema at {xsd}")
    return etree.XMLSchema(etree.parse(str(xsd)))


def test_there_are_bundled_models() -> None:
    assert any(model.name == "order-fulfillment.bpmn" for model in MODELS)


@pytest.mark.parametrize("model", MODELS, ids=lambda path: path.name)
def test_bundled_model_is_valid_against_the_bpmn_20_schema(model: Path) -> None:
    schema = _schema()
    document = etree.parse(str(model))
    if not schema.validate(document):
        problems = "\n".join(f"line {error.line}: {error.message}" for error in schema.error_log)
        pytest.fail(f"{model.name} is not valid BPMN 2.0:\n{problems}")


@pytest.mark.parametrize("model", MODELS, ids=lambda path: path.name)
def test_every_bundled_element_has_diagram_geometry(model: Path) -> None:
    root = etree.parse(str(model)).getroot()
    drawn: dict[str, etree._Element] = {}
    for di in root.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge"):
        drawn[di.get("bpmnElement", "")] = di
    missing: list[str] = []
    for element in root.iter(f"{{{BPMN}}}*"):
        local = etree.QName(element).localname
        if local not in SHAPED | EDGED | {"participant", "lane"}:
            continue
        element_id = element.get("id", "")
        di = drawn.get(element_id)
        if di is None:
            missing.append(f"{local} {element_id!r} (line {element.sourceline})")
            continue
        if local in EDGED:
            points = di.findall(f"{{{DI}}}waypoint")
            assert len(points) >= 2, f"{model.name}: edge for {element_id!r} has fewer than two waypoints"
        else:
            bounds = di.find(f"{{{DC}}}Bounds")
            assert bounds is not None, f"{model.name}: shape for {element_id!r} has no Bounds"
            assert float(bounds.get("width", "0")) > 0 and float(bounds.get("height", "0")) > 0
    assert not missing, f"{model.name}: no diagram information for " + ", ".join(missing)
