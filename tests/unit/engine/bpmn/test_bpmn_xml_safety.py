"""Model files come from users: hostile or broken XML is refused with a clear ModelError."""

from __future__ import annotations

import pytest
from bpmn_samples import around, document

from conveyor.engine.bpmn import check_bpmn, parse_bpmn
from conveyor.engine.bpmn import xml as bpmn_xml
from conveyor.engine.errors import ModelError

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p" name="&lol3;"/></definitions>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
<process id="p" name="&secret;"/></definitions>
"""


@pytest.mark.parametrize("source", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
def test_documents_with_a_doctype_or_entities_are_refused(source: str) -> None:
    with pytest.raises(ModelError) as caught:
        parse_bpmn(source, file="evil.bpmn")
    (problem,) = caught.value.errors
    assert problem.code == "forbidden_doctype"
    assert problem.file == "evil.bpmn"


def test_too_large_files_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bpmn_xml, "MAX_MODEL_BYTES", 100)
    with pytest.raises(ModelError) as caught:
        parse_bpmn(document(around('<bpmn:task id="task"/>')))
    assert caught.value.errors[0].code == "model_too_large"


def test_malformed_xml_is_refused_with_its_line() -> None:
    problems = check_bpmn("<definitions>\n<process>\n</definitions>", file="bad.bpmn")
    (problem,) = problems
    assert problem.code == "malformed_xml"
    assert problem.line == 3


def test_a_file_that_is_not_bpmn_is_refused() -> None:
    dmn = '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d"/>'
    (problem,) = check_bpmn(dmn)
    assert problem.code == "not_bpmn"
    assert problem.hint == "this looks like a DMN file: deploy it as a decision"


def test_bpmn_in_the_default_namespace_or_any_prefix_is_read() -> None:
    default_ns = (
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">'
        '<process id="p" isExecutable="true"><startEvent id="s"/>'
        '<sequenceFlow id="f" sourceRef="s" targetRef="e"/><endEvent id="e"/></process></definitions>'
    )
    other_prefix = default_ns.replace("<definitions xmlns=", "<m:definitions xmlns:m=").replace(
        "</definitions>", "</m:definitions>"
    )
    other_prefix = (
        other_prefix.replace("<process", "<m:process").replace("</process>", "</m:process>")
        .replace("<startEvent", "<m:startEvent").replace("<sequenceFlow", "<m:sequenceFlow")
        .replace("<endEvent", "<m:endEvent")
    )
    for source in (default_ns, other_prefix, default_ns.encode()):
        defs = parse_bpmn(source)
        assert set(defs.processes["p"].all_nodes) == {"s", "e"}


def test_text_already_decoded_is_read_whatever_encoding_its_declaration_names() -> None:
    xml = document(around('<bpmn:task id="task" name="Prüfen"/>')).replace(
        'encoding="UTF-8"', 'encoding="ISO-8859-1"'
    )
    assert parse_bpmn(xml).processes["p"].node("task").name == "Prüfen"
