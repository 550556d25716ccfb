"""DecisionLibrary resolves decisions by id across every DMN file loaded together."""

from __future__ import annotations

import pytest

from conveyor.engine.dmn import DecisionLibrary, parse_dmn
from conveyor.engine.errors import DecisionError, ModelError

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def literal_file(decision_id: str, text: str, file: str, extra: str = ""):
    source = (
        f'<definitions xmlns="{DMN13}" id="defs_{decision_id}" name="n" namespace="urn:x">'
        f'<decision id="{decision_id}" name="{decision_id.title()}">{extra}'
        f"<literalExpression><text>{text}</text></literalExpression></decision></definitions>"
    )
    return parse_dmn(source, file=file)


def test_decisions_of_several_files_are_found_by_id():
    files = [literal_file("tax", "net * 0.2", "tax.dmn"), literal_file("fee", "2", "fee.dmn")]
    library = DecisionLibrary(files)
    assert sorted(library) == ["fee", "tax"]
    assert "tax" in library
    assert library["tax"].name == "Tax"
    assert library.definitions_of("fee").file == "fee.dmn"
    assert str(library.evaluate("tax", {"net": 10}).value) == "2.0"


def test_an_unknown_decision_names_the_loaded_ones():
    library = DecisionLibrary([literal_file("tax", "1", "tax.dmn")])
    with pytest.raises(DecisionError, match=r"no decision 'vat' is loaded \(loaded: tax\)"):
        library.evaluate("vat", {})


def test_the_same_decision_id_in_two_files_is_refused_unless_replacing():
    library = DecisionLibrary([literal_file("tax", "1", "old.dmn")])
    with pytest.raises(ModelError, match=r"also defined in old\.dmn"):
        library.add(literal_file("tax", "2", "new.dmn"))
    library.add(literal_file("tax", "2", "new.dmn"), replace=True)
    assert str(library.evaluate("tax", {}).value) == "2"


def test_deploying_again_adds_a_version_and_the_latest_is_used_unless_pinned():
    library = DecisionLibrary()
    library.add(literal_file("tax", "1", "tax.dmn"), version=1)
    library.add(literal_file("tax", "2", "tax.dmn"), version=2)
    assert library.versions("tax") == [1, 2]
    assert str(library.evaluate("tax", {}).value) == "2"
    assert str(library.evaluate("tax", {}, version=1).value) == "1"
    with pytest.raises(DecisionError, match=r"no version 7 \(versions: \[1, 2\]\)"):
        library.evaluate("tax", {}, version=7)
