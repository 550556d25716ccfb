"""Each bundled approve/reject task asks for its reason through ``requiredWhen``, so the generic inbox
cannot complete a rejection without one."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

import conveyor.processes
from conveyor.engine.bpmn import parse_bpmn
from conveyor.engine.bpmn.model import UserTask
from conveyor.engine.runtime import FormError, validate_form

PROCESSES_DIR = Path(str(resources.files(conveyor.processes)))

# (file, user task, the decision field, the value that rejects, the field that must then be given)
DECISIONS = [
    ("order-fulfillment.bpmn", "quality_check", "approved", False, "reason"),
    ("refund.bpmn", "approve_refund", "approved", False, "reason"),
    ("return-request.bpmn", "review_return", "approved", False, "reason"),
    ("carrier-intercept.bpmn", "ask_carrier_to_intercept", "intercepted", False, "note"),
]


def _task(file: str, node: str) -> UserTask:
    definitions = parse_bpmn((PROCESSES_DIR / file).read_bytes(), file=file)
    [task] = [p.all_nodes[node] for p in definitions.processes.values() if node in p.all_nodes]
    assert isinstance(task, UserTask)
    return task


@pytest.mark.parametrize(("file", "node", "decision", "rejects", "reason"), DECISIONS)
def test_a_rejection_needs_its_reason_and_an_approval_does_not(
    file: str, node: str, decision: str, rejects: bool, reason: str
) -> None:
    fields = _task(file, node).form_fields
    with pytest.raises(FormError) as caught:
        validate_form(fields, {decision: rejects})
    assert list(caught.value.field_errors) == [reason]
    assert f"{decision} = false" in caught.value.field_errors[reason]
    with pytest.raises(FormError):
        validate_form(fields, {decision: "false", reason: "   "})
    assert validate_form(fields, {decision: rejects, reason: "damaged"})[reason] == "damaged"
    assert validate_form(fields, {decision: not rejects}) == {decision: not rejects}
