"""Multi-instance (BPMN, Camunda 7, Camunda 8) and standard loops."""

from __future__ import annotations

from bpmn_samples import around, document

from conveyor.engine.bpmn import check_bpmn, parse_bpmn
from conveyor.engine.bpmn.model import Activity, MultiInstance, StandardLoop


def loop_of(markup: str, attrs: str = "") -> MultiInstance | StandardLoop | None:
    xml = document(around(f'<bpmn:task id="task" {attrs}>{markup}</bpmn:task>'))
    task = parse_bpmn(xml).processes["p"].node("task")
    assert isinstance(task, Activity)
    return task.loop


def test_camunda_7_multi_instance_over_a_collection_expression() -> None:
    loop = loop_of(
        '<bpmn:multiInstanceLoopCharacteristics isSequential="true" camunda:collection="${lines}"'
        ' camunda:elementVariable="line">'
        "<bpmn:completionCondition>${nrOfCompletedInstances >= 2}</bpmn:completionCondition>"
        "</bpmn:multiInstanceLoopCharacteristics>"
    )
    assert isinstance(loop, MultiInstance)
    assert loop.sequential
    assert loop.collection is not None and loop.collection.evaluate({"lines": [1, 2]}) == [1, 2]
    assert loop.element_variable == "line"
    assert loop.completion_condition is not None
    assert loop.completion_condition.evaluate({"nrOfCompletedInstances": 2}) is True


def test_camunda_7_collection_may_be_a_variable_name() -> None:
    loop = loop_of('<bpmn:multiInstanceLoopCharacteristics camunda:collection="lines"/>')
    assert isinstance(loop, MultiInstance)
    assert not loop.sequential
    assert loop.collection is not None and loop.collection.evaluate({"lines": ["a"]}) == ["a"]


def test_camunda_8_multi_instance_with_input_and_output() -> None:
    loop = loop_of(
        "<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements>"
        '<zeebe:loopCharacteristics inputCollection="=warehouses" inputElement="warehouse"'
        ' outputCollection="quotes" outputElement="=quote"/>'
        "</bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>"
    )
    assert isinstance(loop, MultiInstance)
    assert loop.collection is not None and loop.collection.evaluate({"warehouses": ["w"]}) == ["w"]
    assert (loop.element_variable, loop.output_collection) == ("warehouse", "quotes")
    assert loop.output_element is not None and loop.output_element.evaluate({"quote": 3}) == 3


def test_standard_bpmn_multi_instance_with_cardinality_and_data_items() -> None:
    loop = loop_of(
        "<bpmn:multiInstanceLoopCharacteristics>"
        "<bpmn:loopCardinality>3</bpmn:loopCardinality>"
        "<bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>"
        '<bpmn:inputDataItem id="item"/>'
        "<bpmn:loopDataOutputRef>results</bpmn:loopDataOutputRef>"
        '<bpmn:outputDataItem id="result"/>'
        "</bpmn:multiInstanceLoopCharacteristics>"
    )
    assert isinstance(loop, MultiInstance)
    assert loop.cardinality is not None and loop.cardinality.evaluate({}) == 3
    assert loop.collection is not None and loop.collection.evaluate({"items": [9]}) == [9]
    assert (loop.element_variable, loop.output_collection) == ("item", "results")


def test_standard_loop_reads_condition_test_before_and_maximum() -> None:
    loop = loop_of(
        '<bpmn:standardLoopCharacteristics testBefore="true" loopMaximum="5">'
        "<bpmn:loopCondition>=attempts &lt; 3</bpmn:loopCondition></bpmn:standardLoopCharacteristics>"
    )
    assert isinstance(loop, StandardLoop)
    assert loop.test_before and loop.maximum == 5
    assert loop.condition is not None and loop.condition.evaluate({"attempts": 1}) is True


def test_loop_that_could_never_end_is_an_error() -> None:
    xml = document(around('<bpmn:task id="task"><bpmn:standardLoopCharacteristics/></bpmn:task>'))
    assert [(p.code, p.element_id) for p in check_bpmn(xml) if p.severity == "error"] == [
        ("loop_without_condition", "task")
    ]


def test_multi_instance_without_input_is_an_error() -> None:
    xml = document(around('<bpmn:task id="task"><bpmn:multiInstanceLoopCharacteristics/></bpmn:task>'))
    assert [(p.code, p.element_id) for p in check_bpmn(xml) if p.severity == "error"] == [
        ("multi_instance_without_input", "task")
    ]
