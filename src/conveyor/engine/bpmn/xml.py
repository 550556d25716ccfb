"""Hardened XML loading and small helpers for walking a BPMN document.

A model file comes from users (uploaded through the API or the CLI), so it is
parsed with external entities, DTD loading and network access disabled, a size
limit, and any DOCTYPE refused outright: BPMN never needs one, and refusing it
closes the door on entity-expansion ("billion laughs") and XXE attacks.
"""

from __future__ import annotations

import re

from lxml import etree

from conveyor.engine.errors import ModelError, Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
CONVEYOR_NS = "http://conveyor.dev/schema/bpmn"
#: Camunda 7 still reads models written for Activiti, its ancestor; so do we (as ``camunda:``).
ACTIVITI_NS = "http://activiti.org/bpmn"
CAMUNDA_NAMESPACES = (CAMUNDA_NS, ACTIVITI_NS)
_ALIASES = {CAMUNDA_NS: CAMUNDA_NAMESPACES}
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

#: The largest model file we read. Real models are well under 1 MB.
MAX_MODEL_BYTES = 20 * 1024 * 1024

_DECLARED_ENCODING = re.compile(r"""^(\ufeff?\s*<\?xml[^>]*?encoding\s*=\s*["'])[^"']*(["'])""")
_FORBIDDEN_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)

Element = etree._Element


def _refuse(code: str, message: str, file: str | None, hint: str, line: int | None = None) -> ModelError:
    return ModelError([Problem("error", code, message, line=line, file=file, hint=hint)], file=file)


def load_xml(source: bytes | str, file: str | None = None) -> Element:
    """Parse ``source`` safely and return the root element, or raise ``ModelError``."""
    if isinstance(source, str):
        # the text is already decoded: whatever encoding its declaration names, it is now UTF-8
        source = _DECLARED_ENCODING.sub(r"\1UTF-8\2", source, count=1)
    data = source.encode("utf-8") if isinstance(source, str) else bytes(source)
    if len(data) > MAX_MODEL_BYTES:
        raise _refuse(
            "model_too_large",
            f"the model is {len(data)} bytes; the limit is {MAX_MODEL_BYTES} bytes",
            file,
            "split the model into several files (call activities) or remove embedded data",
        )
    if _FORBIDDEN_DECLARATION.search(data):
        raise _refuse(
            "forbidden_doctype",
            "the model contains a DOCTYPE or ENTITY declaration, which is refused for safety",
            file,
            "remove the <!DOCTYPE ...> declaration; BPMN files never need one",
        )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        line = err.lineno if isinstance(err.lineno, int) else None
        raise _refuse(
            "malformed_xml",
            f"the file is not well-formed XML: {err.msg}",
            file,
            "open the file in a modeler or an XML editor to find the broken tag",
            line,
        ) from err
    if getattr(root.getroottree().docinfo, "doctype", None):
        raise _refuse("forbidden_doctype", "the model declares a DOCTYPE", file, "remove the DOCTYPE")
    return root


def local(el: Element) -> str:
    """The local name of an element's tag (``serviceTask`` for ``bpmn:serviceTask``)."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def namespace(el: Element) -> str | None:
    tag = el.tag
    if not isinstance(tag, str) or not tag.startswith("{"):
        return None
    return tag[1:].split("}", 1)[0]


def is_bpmn(el: Element) -> bool:
    return namespace(el) == BPMN_NS


def elements(el: Element) -> list[Element]:
    """Child elements (comments and processing instructions skipped)."""
    return [c for c in el if isinstance(c.tag, str)]


_BPMN_PREFIX = f"{{{BPMN_NS}}}"
_EXTENSIONS = f"{{{BPMN_NS}}}extensionElements"


def bpmn_children(el: Element, name: str | None = None) -> list[Element]:
    if name is not None:
        return list(el.iterchildren(_BPMN_PREFIX + name))
    return [c for c in el.iterchildren() if isinstance(c.tag, str) and c.tag.startswith(_BPMN_PREFIX)]


def bpmn_child(el: Element, name: str) -> Element | None:
    return next(el.iterchildren(_BPMN_PREFIX + name), None)


def extension_elements(el: Element, ns: str, name: str) -> list[Element]:
    """``<extensionElements>`` children in namespace ``ns`` named ``name`` (direct children only)."""
    tags = [f"{{{alias}}}{name}" for alias in _ALIASES.get(ns, (ns,))]
    found: list[Element] = []
    for ext in el.iterchildren(_EXTENSIONS):
        found.extend(ext.iterchildren(*tags))
    return found


def extension_element(el: Element, ns: str, name: str) -> Element | None:
    found = extension_elements(el, ns, name)
    return found[0] if found else None


def children_in(el: Element, ns: str, name: str) -> list[Element]:
    return list(el.iterchildren(*(f"{{{alias}}}{name}" for alias in _ALIASES.get(ns, (ns,)))))


def text(el: Element | None) -> str | None:
    """The element's text content (CDATA included), stripped; ``None`` when empty."""
    if el is None:
        return None
    value = "".join(str(part) for part in el.itertext()).strip()
    return value or None


def line(el: Element | None) -> int | None:
    if el is None:
        return None
    number = el.sourceline
    return number if isinstance(number, int) else None


def attr(el: Element, name: str, ns: str | None = None) -> str | None:
    """An attribute's value, stripped; ``None`` when missing or blank."""
    value = el.get(f"{{{ns}}}{name}" if ns else name)
    if value is None and ns == CAMUNDA_NS:
        value = el.get(f"{{{ACTIVITI_NS}}}{name}")
    if value is None:
        return None
    value = value.strip()
    return value or None


def attr_bool(el: Element, name: str, default: bool, ns: str | None = None) -> bool:
    value = attr(el, name, ns)
    if value is None:
        return default
    return value.lower() == "true"


def qname_local(ref: str | None) -> str | None:
    """Strip a namespace prefix from an id reference (``tns:Message_1`` -> ``Message_1``)."""
    if ref is None:
        return None
    return ref.split(":", 1)[1] if ":" in ref else ref
