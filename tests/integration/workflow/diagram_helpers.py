"""Adding BPMNDI (a left-to-right layout) to the small test models, so they have a diagram."""

from __future__ import annotations

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
SIZES = {"startEvent": (36, 36), "endEvent": (36, 36), "exclusiveGateway": (50, 50)}


def with_diagram(source: str, process_id: str) -> str:
    """``source`` with a BPMNDiagram: flow nodes in a row (in document order), flows between them."""
    root = etree.fromstring(source.encode())
    process = root.find(f"{{{BPMN}}}process[@id='{process_id}']")
    assert process is not None
    diagram = etree.SubElement(root, f"{{{BPMNDI}}}BPMNDiagram", id=f"diagram_{process_id}")
    plane = etree.SubElement(diagram, f"{{{BPMNDI}}}BPMNPlane", id="plane", bpmnElement=process_id)
    centres: dict[str, tuple[float, float]] = {}
    x = 100.0
    for node in process:
        local = etree.QName(node).localname
        if local == "sequenceFlow" or not node.get("id"):
            continue
        width, height = SIZES.get(local, (100, 80))
        y = 200 - height / 2
        shape = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", id=f"{node.get('id')}_di",
                                 bpmnElement=node.get("id"))  # fmt: skip
        etree.SubElement(shape, f"{{{DC}}}Bounds", x=str(x), y=str(y), width=str(width), height=str(height))
        centres[node.get("id")] = (x + width / 2, 200.0)
        x += width + 60
    for flow in process.iter(f"{{{BPMN}}}sequenceFlow"):
        edge = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{flow.get('id')}_di",
                                bpmnElement=flow.get("id"))  # fmt: skip
        for end in (flow.get("sourceRef"), flow.get("targetRef")):
            cx, cy = centres[end]
            etree.SubElement(edge, f"{{{DI}}}waypoint", x=str(cx), y=str(cy))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode()
