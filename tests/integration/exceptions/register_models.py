"""Small BPMN models and a hand-moved clock for the exception register and task inbox tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:conveyor="http://conveyor.dev/schema/bpmn"
    id="defs" targetNamespace="http://conveyor.dev/tests">
"""


def flow(source: str, target: str) -> str:
    return f'<bpmn:sequenceFlow id="f_{source}_{target}" sourceRef="{source}" targetRef="{target}"/>\n'


def failing_service() -> str:
    """start -> charge (handler 'always_fails', no retries) -> end."""
    return (
        HEAD
        + f"""<bpmn:process id="charging" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:serviceTask id="charge" conveyor:handler="always_fails" conveyor:retries="1"/>
  <bpmn:endEvent id="end"/>
  {flow("start", "charge")}{flow("charge", "end")}
</bpmn:process></bpmn:definitions>
"""
    )


def review(
    groups: str = "quality", due: str | None = None, priority: int | None = None, process_id: str = "review"
) -> str:
    """start -> inspect (user task for ``groups``; form: passed boolean required, note string) -> end."""
    extra = f' camunda:dueDate="{due}"' if due else ""
    extra += f' camunda:priority="{priority}"' if priority is not None else ""
    return (
        HEAD
        + f"""<bpmn:process id="{process_id}" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:userTask id="inspect" name="Inspect the item" camunda:candidateGroups="{groups}"{extra}>
    <bpmn:extensionElements><camunda:formData>
      <camunda:formField id="passed" type="boolean"><camunda:validation>
        <camunda:constraint name="required"/></camunda:validation></camunda:formField>
      <camunda:formField id="note" type="string"/>
    </camunda:formData></bpmn:extensionElements>
  </bpmn:userTask>
  <bpmn:endEvent id="end"/>
  {flow("start", "inspect")}{flow("inspect", "end")}
</bpmn:process></bpmn:definitions>
"""
    )


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now
