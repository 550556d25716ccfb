"""Small BPMN documents for the parser's tests: a process body wrapped in <definitions>."""

from __future__ import annotations

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:conveyor="http://conveyor.dev/schema/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


def document(body: str, *, roots: str = "", executable: str | None = "true", process_id: str = "p") -> str:
    """``body`` inside ``<bpmn:process>``, ``roots`` (messages, errors...) before it."""
    flag = f' isExecutable="{executable}"' if executable is not None else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NAMESPACES} id="defs" '
        f'targetNamespace="http://example.com">\n{roots}\n'
        f'<bpmn:process id="{process_id}" name="Test process"{flag}>\n{body}\n</bpmn:process>\n'
        "</bpmn:definitions>\n"
    )


def around(task: str, task_id: str = "task") -> str:
    """``start -> task -> end``: one element under test, connected so it is reachable."""
    return (
        '<bpmn:startEvent id="start"/>\n'
        f'<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="{task_id}"/>\n'
        f"{task}\n"
        f'<bpmn:sequenceFlow id="f2" sourceRef="{task_id}" targetRef="end"/>\n'
        '<bpmn:endEvent id="end"/>\n'
    )
