"""``check_bpmn`` answers with problems, never with a crash, whatever the file holds."""

from __future__ import annotations

from bpmn_samples import around, document
from hypothesis import given, settings
from hypothesis import strategies as st

from conveyor.engine.bpmn import check_bpmn

BASE = document(
    around(
        '<bpmn:serviceTask id="task" camunda:asyncBefore="true" conveyor:retries="2">'
        "<bpmn:extensionElements><zeebe:taskDefinition type=\"t\"/><zeebe:ioMapping>"
        '<zeebe:input source="=a + 1" target="b"/></zeebe:ioMapping></bpmn:extensionElements>'
        "<bpmn:multiInstanceLoopCharacteristics camunda:collection=\"${items}\"/></bpmn:serviceTask>"
    )
    + '<bpmn:boundaryEvent id="b" attachedToRef="task"><bpmn:timerEventDefinition>'
    "<bpmn:timeDuration>PT5M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    '<bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="end"/>'
)
TOKENS = ['"', "=", "${", "}", "<", ">", "/", "id", "PT", "bpmn:", " ", "x", "&amp;", "'", "R3/", "(", "\n"]


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_mutated_models_give_problems_not_crashes(data: st.DataObject) -> None:
    text = BASE
    for _ in range(data.draw(st.integers(1, 4))):
        where = data.draw(st.integers(0, len(text)))
        if data.draw(st.booleans()):
            text = text[:where] + data.draw(st.sampled_from(TOKENS)) + text[where:]
        else:
            text = text[:where] + text[where + data.draw(st.integers(1, 12)) :]
    problems = check_bpmn(text, file="fuzz.bpmn")
    assert all(p.code and p.message for p in problems)
