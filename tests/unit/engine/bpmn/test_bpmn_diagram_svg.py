"""The SVG renderer on its own: conformance models (MIWG, Camunda examples) and edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from conveyor.engine.bpmn.diagram import Highlight, NoDiagram, esc, render_svg

SHARED = Path(__file__).resolve().parents[4] / ".." / "shared" / "conformance"
BUNDLED = Path(__file__).resolve().parents[4] / "src" / "conveyor" / "processes"
DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"


def _models() -> list[Path]:
    return sorted(SHARED.glob("**/*.bpmn")) if SHARED.is_dir() else []


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/conformance is not here (the MIWG models)")
@pytest.mark.parametrize("path", _models(), ids=lambda p: p.name)
def test_conformance_models_render_to_well_formed_svg_with_every_shape(path: Path) -> None:
    source = path.read_bytes()
    svg = render_svg(source)
    root = etree.fromstring(svg.encode())
    drawn = {g.get("data-element-id") for g in root.iter("{http://www.w3.org/2000/svg}g")}
    model = etree.fromstring(source)
    plane = next(model.iter(f"{DI}BPMNPlane"))
    shapes = {s.get("bpmnElement") for s in plane.iter(f"{DI}BPMNShape")}
    assert shapes <= drawn


@pytest.mark.parametrize("path", sorted(BUNDLED.glob("*.bpmn")), ids=lambda p: p.name)
def test_every_bundled_process_renders(path: Path) -> None:
    etree.fromstring(render_svg(path.read_bytes()).encode())


def test_a_model_without_di_raises_no_diagram() -> None:
    source = (
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">'
        '<process id="p"><startEvent id="s"/></process></definitions>'
    )
    with pytest.raises(NoDiagram, match="no diagram information"):
        render_svg(source, process_id="p")


def test_escaping_and_forbidden_characters() -> None:
    assert esc('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"
    assert esc("bell\x07") == "bell"


def test_the_highlight_marks_flows_between_reached_nodes() -> None:
    path = BUNDLED / "order-fulfillment.bpmn"
    model = etree.fromstring(path.read_bytes())
    flow = next(model.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}sequenceFlow"))
    source, target = flow.get("sourceRef"), flow.get("targetRef")
    svg = render_svg(
        path.read_bytes(), highlight=Highlight(completed=frozenset({source}), active=frozenset({target}))
    )
    root = etree.fromstring(svg.encode())
    classes = {g.get("id"): g.get("class", "") for g in root.iter("{http://www.w3.org/2000/svg}g")}
    assert "completed" in classes[flow.get("id")]
    assert "active" in classes[target]
