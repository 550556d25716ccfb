"""A BPMN model's diagram as SVG, drawn from its BPMNDI shapes and edges.

``render_svg(source)`` draws the diagram a modeller saved with the model (the
``bpmndi:BPMNShape`` bounds and ``bpmndi:BPMNEdge`` waypoints): pools and lanes,
expanded sub-processes, tasks as rounded rectangles with their name and type
marker, events as circles (thin start, double-ringed intermediate and
boundary, thick end; dashed when non-interrupting) with their trigger's
marker, gateways as diamonds with theirs, data objects, stores, annotations,
and sequence/message flows and associations as polylines with arrowheads and
labels. It is plain string building: text is escaped, no script, no external
reference and no web font (generic font families only), so the result can be
served to a browser or written to a file as it is.

``Highlight`` marks one instance's path: nodes it completed and the flows
between them, nodes where it is now (tokens, waits), and nodes with an open
incident, in red. Every drawn element is an SVG ``g`` carrying
``data-element-id`` (and ``id`` the first time an element is drawn) and a class
per state, so a page can restyle or script it.

A model without diagram information raises ``NoDiagram``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from conveyor.engine.bpmn.xml import BPMN_NS, BPMNDI_NS, Element, load_xml

DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"

TASKS = frozenset(
    {"task", "userTask", "serviceTask", "scriptTask", "sendTask", "receiveTask", "manualTask",
     "businessRuleTask", "callActivity"}
)  # fmt: skip
CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
EVENTS = frozenset(
    {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
)
GATEWAYS = frozenset(
    {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
)
FLOWS = frozenset({"sequenceFlow", "messageFlow", "association", "dataInputAssociation",
                   "dataOutputAssociation"})  # fmt: skip
FONT = "Arial, Helvetica, sans-serif"
#: average glyph width of the 12px label font, for wrapping (no font metrics without a browser)
CHAR_WIDTH = 6.4
LINE_HEIGHT = 14.0

STYLE = f"""
.shape {{ fill: #fff; stroke: #222; stroke-width: 1.5; }}
.container {{ fill: none; stroke: #222; stroke-width: 1.5; }}
.pool, .lane {{ fill: none; stroke: #222; stroke-width: 1.5; }}
.marker {{ fill: none; stroke: #222; stroke-width: 1.5; }}
.marker.filled {{ fill: #222; }}
.flow {{ fill: none; stroke: #222; stroke-width: 1.5; }}
.flow.message {{ stroke-dasharray: 8 5; }}
.flow.association {{ stroke-dasharray: 2 4; }}
text {{ font-family: {FONT}; font-size: 12px; fill: #222; }}
.completed > .shape, .completed > .container {{ fill: #e8f5e9; stroke: #2e7d32; }}
.completed > .flow {{ stroke: #2e7d32; stroke-width: 2.5; }}
.active > .shape, .active > .container {{ fill: #e3f2fd; stroke: #1565c0; stroke-width: 3; }}
.incident > .shape, .incident > .container {{ fill: #ffebee; stroke: #c62828; stroke-width: 3; }}
"""


class NoDiagram(ValueError):
    """The model has no BPMNDI shapes for the process (nothing to draw)."""


@dataclass(frozen=True, slots=True)
class Highlight:
    """One instance's path: element ids it completed, where it is now, where it is stuck."""

    completed: frozenset[str] = frozenset()
    active: frozenset[str] = frozenset()
    incidents: frozenset[str] = frozenset()
    #: sequence flows taken (when not given: a flow whose source completed and whose target was reached)
    flows: frozenset[str] | None = None


@dataclass(slots=True)
class _Bounds:
    x: float
    y: float
    w: float
    h: float


@dataclass(slots=True)
class _Shape:
    element_id: str
    bounds: _Bounds
    expanded: bool | None
    horizontal: bool | None
    marker_visible: bool | None
    label: _Bounds | None


@dataclass(slots=True)
class _Edge:
    element_id: str
    points: list[tuple[float, float]]
    label: _Bounds | None


@dataclass(slots=True)
class _Model:
    elements: dict[str, Element] = field(default_factory=dict)
    shapes: list[_Shape] = field(default_factory=list)
    edges: list[_Edge] = field(default_factory=list)


def esc(text: str) -> str:
    """``text`` safe inside XML character data and double-quoted attributes."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    # characters XML 1.0 forbids (control characters other than tab/newline/return) are dropped
    return "".join(c for c in out if c >= " " or c in "\t\n\r")


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _local(el: Element) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _bounds(el: Element | None) -> _Bounds | None:
    if el is None:
        return None
    try:
        return _Bounds(*(float(el.get(k, "0")) for k in ("x", "y", "width", "height")))
    except ValueError:
        return None


def _flag(el: Element, name: str) -> bool | None:
    value = el.get(name)
    return None if value is None else value.strip().lower() == "true"


def _plane_for(root: Element, process_id: str | None) -> Element | None:
    planes = list(root.iter(f"{{{BPMNDI_NS}}}BPMNPlane"))
    if process_id is None or not planes:
        return planes[0] if planes else None
    owners = {process_id}
    for collaboration in root.iter(f"{{{BPMN_NS}}}collaboration"):
        refs = {p.get("processRef") for p in collaboration.iter(f"{{{BPMN_NS}}}participant")}
        if process_id in refs and collaboration.get("id"):
            owners.add(str(collaboration.get("id")))
    for plane in planes:
        if plane.get("bpmnElement") in owners:
            return plane
    return None


def _read(source: bytes | str, process_id: str | None, file: str | None) -> _Model:
    root = load_xml(source, file)
    model = _Model()
    for el in root.iter():
        element_id = el.get("id")
        if element_id and isinstance(el.tag, str) and el.tag.startswith(f"{{{BPMN_NS}}}"):
            model.elements.setdefault(element_id, el)
    plane = _plane_for(root, process_id)
    if plane is None:
        what = f"process {process_id!r}" if process_id else "the model"
        raise NoDiagram(
            f"{what} has no diagram information (no BPMNDI plane); open it in a modeller "
            "(Camunda Modeler, bpmn.io) and save it to add one"
        )
    for shape in plane.iter(f"{{{BPMNDI_NS}}}BPMNShape"):
        bounds = _bounds(shape.find(f"{{{DC_NS}}}Bounds"))
        element_id = shape.get("bpmnElement")
        if bounds is None or not element_id:
            continue
        label = shape.find(f"{{{BPMNDI_NS}}}BPMNLabel")
        model.shapes.append(
            _Shape(
                element_id,
                bounds,
                _flag(shape, "isExpanded"),
                _flag(shape, "isHorizontal"),
                _flag(shape, "isMarkerVisible"),
                _bounds(label.find(f"{{{DC_NS}}}Bounds")) if label is not None else None,
            )
        )
    for edge in plane.iter(f"{{{BPMNDI_NS}}}BPMNEdge"):
        element_id = edge.get("bpmnElement")
        points = []
        for point in edge.iter(f"{{{DI_NS}}}waypoint"):
            try:
                points.append((float(point.get("x", "0")), float(point.get("y", "0"))))
            except ValueError:
                continue
        if not element_id or len(points) < 2:
            continue
        label = edge.find(f"{{{BPMNDI_NS}}}BPMNLabel")
        model.edges.append(
            _Edge(
                element_id, points, _bounds(label.find(f"{{{DC_NS}}}Bounds")) if label is not None else None
            )
        )
    if not model.shapes:
        raise NoDiagram("the model's diagram has no shapes (BPMNShape with Bounds) to draw")
    return model


def render_svg(
    source: bytes | str,
    *,
    process_id: str | None = None,
    highlight: Highlight | None = None,
    file: str | None = None,
) -> str:
    """The SVG document of the diagram of ``process_id`` (else the model's first diagram)."""
    model = _read(source, process_id, file)
    marks = highlight or Highlight()
    drawer = _Drawer(model, marks)
    return drawer.document()


class _Drawer:
    def __init__(self, model: _Model, marks: Highlight) -> None:
        self.model = model
        self.marks = marks
        self.out: list[str] = []
        self.ids: set[str] = set()
        reached = marks.completed | marks.active | marks.incidents
        if marks.flows is not None:
            self.taken = marks.flows
        else:
            taken = set()
            for element_id, el in model.elements.items():
                source, target = el.get("sourceRef"), el.get("targetRef")
                if _local(el) == "sequenceFlow" and source in marks.completed and target in reached:
                    taken.add(element_id)
            self.taken = frozenset(taken)

    # --- the document ---------------------------------------------------------------------------

    def document(self) -> str:
        xs: list[float] = []
        ys: list[float] = []
        for shape in self.model.shapes:
            b = shape.bounds
            xs += [b.x, b.x + b.w]
            ys += [b.y, b.y + b.h]
            if shape.label:
                xs += [shape.label.x, shape.label.x + shape.label.w]
                ys += [shape.label.y, shape.label.y + shape.label.h]
        for edge in self.model.edges:
            xs += [p[0] for p in edge.points]
            ys += [p[1] for p in edge.points]
        pad = 20.0
        left, top = min(xs) - pad, min(ys) - pad
        width, height = max(xs) - left + pad, max(ys) - top + pad
        ordered = sorted(self.model.shapes, key=self._layer)
        for shape in ordered:
            if self._layer(shape) < 2:
                self._shape(shape)
        for edge in self.model.edges:
            self._edge(edge)
        for shape in ordered:
            if self._layer(shape) >= 2:
                self._shape(shape)
        head = (
            '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
            f'viewBox="{_num(left)} {_num(top)} {_num(width)} {_num(height)}" '
            f'width="{_num(width)}" height="{_num(height)}">'
        )
        defs = (
            "<defs>"
            '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
            'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#222" stroke="none"/>'
            "</marker>"
            '<marker id="arrow-open" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
            'orient="auto"><path d="M0,0 L10,5 L0,10" fill="none" stroke="#222"/></marker>'
            '<marker id="circle-open" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="7" markerHeight="7">'
            '<circle cx="5" cy="5" r="4" fill="#fff" stroke="#222"/></marker>'
            '<marker id="default-slash" viewBox="0 0 20 20" refX="-4" refY="10" markerWidth="12" '
            'markerHeight="12" orient="auto"><path d="M2,4 L10,16" stroke="#222" stroke-width="2"/></marker>'
            f"</defs><style>{STYLE}</style>"
        )
        return head + defs + "".join(self.out) + "</svg>"

    def _layer(self, shape: _Shape) -> int:
        el = self.model.elements.get(shape.element_id)
        kind = _local(el) if el is not None else ""
        if kind == "participant":
            return 0
        if kind == "lane":
            return 1
        if _expanded(kind, shape):
            return 2
        if kind == "group":
            return 3
        return 4 if kind != "boundaryEvent" else 5

    def _open(self, element_id: str, classes: str, title: str | None) -> None:
        state = []
        if element_id in self.marks.incidents:
            state.append("incident")
        elif element_id in self.marks.active:
            state.append("active")
        elif element_id in self.marks.completed or element_id in self.taken:
            state.append("completed")
        ident = ""
        if element_id not in self.ids:
            self.ids.add(element_id)
            ident = f' id="{esc(element_id)}"'
        cls = " ".join([classes, *state])
        self.out.append(f'<g{ident} class="{esc(cls)}" data-element-id="{esc(element_id)}">')
        if title:
            self.out.append(f"<title>{esc(title)}</title>")

    # --- shapes ---------------------------------------------------------------------------------

    def _shape(self, shape: _Shape) -> None:
        el = self.model.elements.get(shape.element_id)
        kind = _local(el) if el is not None else "unknown"
        name = (el.get("name") or "").strip() if el is not None else ""
        b = shape.bounds
        self._open(shape.element_id, f"element {kind}", name or shape.element_id)
        if kind in ("participant", "lane"):
            self._band(shape, name, kind)
        elif (kind in TASKS or kind in CONTAINERS) and not _expanded(kind, shape):
            self._task(el, kind, b, name)
        elif kind in CONTAINERS or kind == "callActivity":
            dashed = el is not None and _flag(el, "triggeredByEvent") is True
            dash = ' stroke-dasharray="6 4"' if dashed else ""
            double = kind == "transaction"
            thick = ' style="stroke-width: 4"' if kind == "callActivity" else ""
            self.out.append(
                f'<rect class="container" x="{_num(b.x)}" y="{_num(b.y)}" width="{_num(b.w)}" '
                f'height="{_num(b.h)}" rx="10" ry="10"{dash}{thick}/>'
            )
            if double:
                self.out.append(
                    f'<rect class="marker" x="{_num(b.x + 3)}" y="{_num(b.y + 3)}" width="{_num(b.w - 6)}" '
                    f'height="{_num(b.h - 6)}" rx="8" ry="8"/>'
                )
            if name:
                self._text_lines(_wrap(name, b.w - 16), b.x + 8, b.y + 18, anchor="start")
        elif kind in EVENTS:
            self._event(el, kind, b)
            self._outer_label(shape, name)
        elif kind in GATEWAYS:
            self._gateway(el, kind, b, shape.marker_visible)
            self._outer_label(shape, name)
        elif kind in ("dataObjectReference", "dataObject", "dataInput", "dataOutput"):
            fold = min(b.w, b.h) * 0.3
            pts = [(b.x, b.y), (b.x + b.w - fold, b.y), (b.x + b.w, b.y + fold), (b.x + b.w, b.y + b.h),
                   (b.x, b.y + b.h)]  # fmt: skip
            self.out.append(f'<polygon class="shape" points="{_points(pts)}"/>')
            self._outer_label(shape, name)
        elif kind == "dataStoreReference":
            ry = min(b.h * 0.12, 8)
            self.out.append(
                f'<path class="shape" d="M{_num(b.x)},{_num(b.y + ry)} a{_num(b.w / 2)},{_num(ry)} 0 0 1 '
                f"{_num(b.w)},0 v{_num(b.h - 2 * ry)} a{_num(b.w / 2)},{_num(ry)} 0 0 1 {_num(-b.w)},0 z "
                f'M{_num(b.x)},{_num(b.y + ry)} a{_num(b.w / 2)},{_num(ry)} 0 0 0 {_num(b.w)},0"/>'
            )
            self._outer_label(shape, name)
        elif kind == "textAnnotation":
            text = ""
            if el is not None:
                found = el.find(f"{{{BPMN_NS}}}text")
                text = (found.text or "").strip() if found is not None else ""
            self.out.append(f'<path class="marker" d="M{_num(b.x + 10)},{_num(b.y)} h-10 v{_num(b.h)} h10"/>')
            self._text_lines(_wrap(text, b.w - 10), b.x + 6, b.y + 16, anchor="start")
        elif kind == "group":
            self.out.append(
                f'<rect class="container" x="{_num(b.x)}" y="{_num(b.y)}" width="{_num(b.w)}" '
                f'height="{_num(b.h)}" rx="10" ry="10" stroke-dasharray="8 3 1 3"/>'
            )
        else:
            self.out.append(
                f'<rect class="shape" x="{_num(b.x)}" y="{_num(b.y)}" width="{_num(b.w)}" '
                f'height="{_num(b.h)}"/>'
            )
            if name:
                self._text_lines(_wrap(name, b.w - 8), b.x + b.w / 2, b.y + b.h / 2)
        self.out.append("</g>")

    def _band(self, shape: _Shape, name: str, kind: str) -> None:
        b = shape.bounds
        cls = "pool" if kind == "participant" else "lane"
        self.out.append(
            f'<rect class="{cls}" x="{_num(b.x)}" y="{_num(b.y)}" width="{_num(b.w)}" height="{_num(b.h)}"/>'
        )
        horizontal = shape.horizontal is not False
        band = 30.0
        if kind == "participant" and horizontal:
            self.out.append(f'<path class="pool" d="M{_num(b.x + band)},{_num(b.y)} v{_num(b.h)}"/>')
        if not name:
            return
        if horizontal:
            cx, cy = b.x + band / 2, b.y + b.h / 2
            self.out.append(
                f'<text x="{_num(cx)}" y="{_num(cy)}" text-anchor="middle" dominant-baseline="middle" '
                f'transform="rotate(-90 {_num(cx)} {_num(cy)})">{esc(name)}</text>'
            )
        else:
            self.out.append(
                f'<text x="{_num(b.x + b.w / 2)}" y="{_num(b.y + 18)}" text-anchor="middle">'
                f"{esc(name)}</text>"
            )

    def _task(self, el: Element | None, kind: str, b: _Bounds, name: str) -> None:
        width = ' style="stroke-width: 4"' if kind == "callActivity" else ""
        self.out.append(
            f'<rect class="shape" x="{_num(b.x)}" y="{_num(b.y)}" width="{_num(b.w)}" height="{_num(b.h)}" '
            f'rx="10" ry="10"{width}/>'
        )
        self._task_marker(kind, b.x + 6, b.y + 6)
        if name:
            self._text_lines(_wrap(name, b.w - 12), b.x + b.w / 2, b.y + b.h / 2)
        bottom = b.y + b.h - 6
        cx = b.x + b.w / 2
        if kind in CONTAINERS:  # collapsed sub-process: [+]
            self.out.append(
                f'<rect class="marker" x="{_num(cx - 7)}" y="{_num(bottom - 14)}" width="14" height="14"/>'
                f'<path class="marker" d="M{_num(cx - 4)},{_num(bottom - 7)} h8 '
                f'M{_num(cx)},{_num(bottom - 11)} v8"/>'
            )
            cx += 18
        if el is not None:
            loop = el.find(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics")
            if loop is not None:
                sequential = _flag(loop, "isSequential") is True
                if sequential:
                    d = " ".join(f"M{_num(cx - 6)},{_num(bottom - 12 + i * 5)} h12" for i in range(3))
                else:
                    d = " ".join(f"M{_num(cx - 5 + i * 5)},{_num(bottom - 12)} v12" for i in range(3))
                self.out.append(f'<path class="marker" d="{d}"/>')
            elif el.find(f"{{{BPMN_NS}}}standardLoopCharacteristics") is not None:
                self.out.append(
                    f'<path class="marker" d="M{_num(cx - 5)},{_num(bottom - 2)} a6,6 0 1 1 7,0 '
                    f'm0,0 l1,-5 m-1,5 l-5,0"/>'
                )

    def _task_marker(self, kind: str, x: float, y: float) -> None:
        if kind == "userTask":
            self.out.append(
                f'<circle class="marker" cx="{_num(x + 7)}" cy="{_num(y + 5)}" r="4"/>'
                f'<path class="marker" d="M{_num(x)},{_num(y + 17)} a7,7 0 0 1 14,0 z"/>'
            )
        elif kind == "serviceTask":
            cx, cy = x + 8, y + 8
            teeth = " ".join(
                f"M{_num(cx + 5 * math.cos(a))},{_num(cy + 5 * math.sin(a))} "
                f"L{_num(cx + 8 * math.cos(a))},{_num(cy + 8 * math.sin(a))}"
                for a in (i * math.pi / 4 for i in range(8))
            )
            self.out.append(
                f'<circle class="marker" cx="{_num(cx)}" cy="{_num(cy)}" r="5"/>'
                f'<circle class="marker" cx="{_num(cx)}" cy="{_num(cy)}" r="2"/>'
                f'<path class="marker" d="{teeth}"/>'
            )
        elif kind == "scriptTask":
            self.out.append(
                f'<rect class="marker" x="{_num(x)}" y="{_num(y)}" width="12" height="15"/>'
                f'<path class="marker" d="M{_num(x + 3)},{_num(y + 4)} h6 M{_num(x + 3)},{_num(y + 8)} h6 '
                f'M{_num(x + 3)},{_num(y + 12)} h6"/>'
            )
        elif kind in ("sendTask", "receiveTask"):
            filled = " filled" if kind == "sendTask" else ""
            self._envelope(x, y + 2, 16, 11, filled)
        elif kind == "businessRuleTask":
            self.out.append(
                f'<rect class="marker" x="{_num(x)}" y="{_num(y)}" width="16" height="12"/>'
                f'<path class="marker" d="M{_num(x)},{_num(y + 4)} h16 M{_num(x + 5)},{_num(y + 4)} v8"/>'
            )
        elif kind == "manualTask":
            self.out.append(
                f'<path class="marker" d="M{_num(x)},{_num(y + 6)} h12 v8 h-12 z '
                f"M{_num(x + 3)},{_num(y + 6)} v-4 M{_num(x + 6)},{_num(y + 6)} v-5 "
                f'M{_num(x + 9)},{_num(y + 6)} v-4"/>'
            )

    def _envelope(self, x: float, y: float, w: float, h: float, filled: str) -> None:
        self.out.append(
            f'<rect class="marker{filled}" x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}"/>'
            f'<path class="marker" d="M{_num(x)},{_num(y)} L{_num(x + w / 2)},{_num(y + h * 0.55)} '
            f'L{_num(x + w)},{_num(y)}" style="stroke: {"#fff" if filled else "#222"}"/>'
        )

    def _event(self, el: Element | None, kind: str, b: _Bounds) -> None:
        cx, cy, r = b.x + b.w / 2, b.y + b.h / 2, min(b.w, b.h) / 2
        interrupting = True
        if el is not None and kind == "boundaryEvent":
            interrupting = _flag(el, "cancelActivity") is not False
        if el is not None and kind == "startEvent":
            interrupting = _flag(el, "isInterrupting") is not False
        dash = "" if interrupting else ' stroke-dasharray="5 3"'
        stroke = {"endEvent": 4.0, "startEvent": 1.5}.get(kind, 1.5)
        self.out.append(
            f'<circle class="shape" cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(r)}" '
            f'style="stroke-width: {_num(stroke)}"{dash}/>'
        )
        if kind in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
            self.out.append(
                f'<circle class="marker" cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(r - 3)}"{dash}/>'
            )
        throwing = kind in ("endEvent", "intermediateThrowEvent")
        for definition in _definitions(el):
            self._event_marker(definition, cx, cy, r, throwing)
            break

    def _event_marker(self, definition: str, cx: float, cy: float, r: float, throwing: bool) -> None:
        filled = " filled" if throwing else ""
        s = r * 0.55
        if definition == "timerEventDefinition":
            ticks = " ".join(
                f"M{_num(cx + s * 0.8 * math.cos(a))},{_num(cy + s * 0.8 * math.sin(a))} "
                f"L{_num(cx + s * math.cos(a))},{_num(cy + s * math.sin(a))}"
                for a in (i * math.pi / 6 for i in range(12))
            )
            self.out.append(
                f'<circle class="marker" cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(s)}"/>'
                f'<path class="marker" d="{ticks} M{_num(cx)},{_num(cy)} L{_num(cx)},{_num(cy - s * 0.7)} '
                f'M{_num(cx)},{_num(cy)} L{_num(cx + s * 0.5)},{_num(cy)}"/>'
            )
        elif definition == "messageEventDefinition":
            self._envelope(cx - s, cy - s * 0.65, 2 * s, 1.3 * s, filled)
        elif definition == "signalEventDefinition":
            pts = [(cx, cy - s), (cx + s, cy + s * 0.75), (cx - s, cy + s * 0.75)]
            self.out.append(f'<polygon class="marker{filled}" points="{_points(pts)}"/>')
        elif definition == "errorEventDefinition":
            pts = [(cx - s, cy + s), (cx - s * 0.4, cy - s), (cx + s * 0.1, cy + s * 0.2), (cx + s, cy - s),
                   (cx + s * 0.4, cy + s), (cx - s * 0.1, cy - s * 0.2)]  # fmt: skip
            self.out.append(f'<polygon class="marker{filled}" points="{_points(pts)}"/>')
        elif definition == "escalationEventDefinition":
            pts = [(cx, cy - s), (cx + s * 0.7, cy + s), (cx, cy + s * 0.3), (cx - s * 0.7, cy + s)]
            self.out.append(f'<polygon class="marker{filled}" points="{_points(pts)}"/>')
        elif definition == "terminateEventDefinition":
            self.out.append(f'<circle class="marker filled" cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(s)}"/>')
        elif definition == "conditionalEventDefinition":
            lines = " ".join(f"M{_num(cx - s * 0.6)},{_num(cy - s * 0.6 + i * s * 0.4)} h{_num(s * 1.2)}"
                             for i in range(4))  # fmt: skip
            self.out.append(
                f'<rect class="marker" x="{_num(cx - s * 0.8)}" y="{_num(cy - s)}" width="{_num(s * 1.6)}" '
                f'height="{_num(s * 2)}"/><path class="marker" d="{lines}"/>'
            )
        elif definition == "linkEventDefinition":
            pts = [(cx - s, cy - s * 0.4), (cx + s * 0.2, cy - s * 0.4), (cx + s * 0.2, cy - s * 0.8),
                   (cx + s, cy), (cx + s * 0.2, cy + s * 0.8), (cx + s * 0.2, cy + s * 0.4),
                   (cx - s, cy + s * 0.4)]  # fmt: skip
            self.out.append(f'<polygon class="marker{filled}" points="{_points(pts)}"/>')
        elif definition == "compensateEventDefinition":
            one = [(cx - s, cy), (cx, cy - s * 0.6), (cx, cy + s * 0.6)]
            two = [(cx, cy), (cx + s, cy - s * 0.6), (cx + s, cy + s * 0.6)]
            self.out.append(
                f'<polygon class="marker{filled}" points="{_points(one)}"/>'
                f'<polygon class="marker{filled}" points="{_points(two)}"/>'
            )
        elif definition == "cancelEventDefinition":
            self.out.append(
                f'<path class="marker" style="stroke-width: 3" d="M{_num(cx - s * 0.7)},{_num(cy - s * 0.7)} '
                f"L{_num(cx + s * 0.7)},{_num(cy + s * 0.7)} M{_num(cx + s * 0.7)},{_num(cy - s * 0.7)} "
                f'L{_num(cx - s * 0.7)},{_num(cy + s * 0.7)}"/>'
            )

    def _gateway(self, el: Element | None, kind: str, b: _Bounds, marker_visible: bool | None) -> None:
        cx, cy = b.x + b.w / 2, b.y + b.h / 2
        pts = [(cx, b.y), (b.x + b.w, cy), (cx, b.y + b.h), (b.x, cy)]
        self.out.append(f'<polygon class="shape" points="{_points(pts)}"/>')
        s = min(b.w, b.h) * 0.22
        if kind == "exclusiveGateway" and marker_visible is not False:
            self.out.append(
                f'<path class="marker" style="stroke-width: 4" d="M{_num(cx - s)},{_num(cy - s)} '
                f"L{_num(cx + s)},{_num(cy + s)} M{_num(cx + s)},{_num(cy - s)} "
                f'L{_num(cx - s)},{_num(cy + s)}"/>'
            )
        elif kind == "parallelGateway":
            self.out.append(
                f'<path class="marker" style="stroke-width: 4" d="M{_num(cx - s * 1.2)},{_num(cy)} '
                f'h{_num(s * 2.4)} M{_num(cx)},{_num(cy - s * 1.2)} v{_num(s * 2.4)}"/>'
            )
        elif kind == "inclusiveGateway":
            self.out.append(
                f'<circle class="marker" style="stroke-width: 3" cx="{_num(cx)}" cy="{_num(cy)}" '
                f'r="{_num(s * 1.1)}"/>'
            )
        elif kind == "complexGateway":
            d = " ".join(
                f"M{_num(cx - s * 1.2 * math.cos(a))},{_num(cy - s * 1.2 * math.sin(a))} "
                f"L{_num(cx + s * 1.2 * math.cos(a))},{_num(cy + s * 1.2 * math.sin(a))}"
                for a in (i * math.pi / 4 for i in range(4))
            )
            self.out.append(f'<path class="marker" style="stroke-width: 3" d="{d}"/>')
        elif kind == "eventBasedGateway":
            r = s * 1.3
            pent = [
                (cx + r * 0.6 * math.sin(a), cy - r * 0.6 * math.cos(a))
                for a in (i * 2 * math.pi / 5 for i in range(5))
            ]
            self.out.append(
                f'<circle class="marker" cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(r)}"/>'
                f'<circle class="marker" cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(r - 2.5)}"/>'
                f'<polygon class="marker" points="{_points(pent)}"/>'
            )

    def _outer_label(self, shape: _Shape, name: str) -> None:
        if not name:
            return
        if shape.label is not None and shape.label.w > 0:
            lb = shape.label
            lines = _wrap(name, max(lb.w, 90.0))
            self._text_lines(lines, lb.x + lb.w / 2, lb.y + lb.h / 2)
        else:
            b = shape.bounds
            lines = _wrap(name, max(b.w * 2.5, 90.0))
            self._text_lines(lines, b.x + b.w / 2, b.y + b.h + 6 + LINE_HEIGHT * len(lines) / 2)

    def _text_lines(self, lines: list[str], x: float, cy: float, *, anchor: str = "middle") -> None:
        if not lines:
            return
        top = cy - LINE_HEIGHT * (len(lines) - 1) / 2 if anchor == "middle" else cy
        spans = "".join(
            f'<tspan x="{_num(x)}" y="{_num(top + i * LINE_HEIGHT)}">{esc(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        self.out.append(f'<text text-anchor="{anchor}" dominant-baseline="middle">{spans}</text>')

    # --- edges ----------------------------------------------------------------------------------

    def _edge(self, edge: _Edge) -> None:
        el = self.model.elements.get(edge.element_id)
        kind = _local(el) if el is not None else "sequenceFlow"
        name = (el.get("name") or "").strip() if el is not None else ""
        self._open(edge.element_id, f"element {kind}", name or edge.element_id)
        attrs = ""
        cls = "flow"
        if kind == "messageFlow":
            cls += " message"
            attrs = ' marker-start="url(#circle-open)" marker-end="url(#arrow-open)"'
        elif kind in ("association", "dataInputAssociation", "dataOutputAssociation"):
            cls += " association"
            direction = el.get("associationDirection") if el is not None else None
            if kind != "association" or direction in ("One", "Both"):
                attrs = ' marker-end="url(#arrow-open)"'
        else:
            attrs = ' marker-end="url(#arrow)"'
            source = self.model.elements.get(el.get("sourceRef", "")) if el is not None else None
            if source is not None and source.get("default") == edge.element_id:
                attrs += ' marker-start="url(#default-slash)"'
        self.out.append(f'<polyline class="{cls}" points="{_points(edge.points)}"{attrs}/>')
        if name:
            if edge.label is not None and edge.label.w > 0:
                lb = edge.label
                self._text_lines(_wrap(name, max(lb.w, 90.0)), lb.x + lb.w / 2, lb.y + lb.h / 2)
            else:
                (x1, y1), (x2, y2) = _middle_segment(edge.points)
                self._text_lines(_wrap(name, 120.0), (x1 + x2) / 2 + 4, (y1 + y2) / 2 - 10)
        self.out.append("</g>")


def _expanded(kind: str, shape: _Shape) -> bool:
    """Drawn as a frame around its children: a sub-process unless marked collapsed, an expanded call."""
    if kind in CONTAINERS:
        return shape.expanded is not False
    return kind == "callActivity" and shape.expanded is True


def _definitions(el: Element | None) -> Iterable[str]:
    if el is None:
        return ()
    return [_local(child) for child in el if _local(child).endswith("EventDefinition")]


def _points(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in points)


def _middle_segment(points: list[tuple[float, float]]) -> tuple[tuple[float, float], tuple[float, float]]:
    lengths = [math.dist(a, b) for a, b in itertools.pairwise(points)]
    half, run = sum(lengths) / 2, 0.0
    for i, length in enumerate(lengths):
        if run + length >= half:
            return points[i], points[i + 1]
        run += length
    return points[-2], points[-1]


def _wrap(text: str, width: float) -> list[str]:
    """``text`` broken into lines that fit ``width`` pixels (estimated), on spaces where possible."""
    per_line = max(int(width / CHAR_WIDTH), 4)
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            while len(word) > per_line:
                if line:
                    lines.append(line)
                    line = ""
                lines.append(word[:per_line])
                word = word[per_line:]
            candidate = f"{line} {word}" if line else word
            if len(candidate) <= per_line:
                line = candidate
            else:
                lines.append(line)
                line = word
        if line:
            lines.append(line)
    return lines
