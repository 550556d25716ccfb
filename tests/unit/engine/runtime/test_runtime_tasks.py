"""Activities: handlers, expressions, scripts, user tasks with forms, decisions, jobs, incidents."""

from __future__ import annotations

from decimal import Decimal

import pytest
from runtime_models import document, flows

from conveyor.engine.errors import BpmnError
from conveyor.engine.runtime import FormError, Handlers, JobCreated, MessageThrown


def _around(task: str, task_id: str = "t", roots: str = "") -> str:
    return document('<startEvent id="start"/>' + task + '<endEvent id="end"/>'
                    + flows(f"start -> {task_id} -> end"), roots=roots)


SERVICE = '<serviceTask id="t"><extensionElements><zeebe:taskDefinition type="payment.verify"/>' \
          '<zeebe:taskHeaders><zeebe:header key="provider" value="acme"/></zeebe:taskHeaders>' \
          '</extensionElements></serviceTask>'


def test_a_service_task_calls_its_handler_and_merges_the_returned_variables(run):
    seen = {}

    def verify(ctx):
        seen.update(node=ctx.node_id, type=ctx.task_type, total=ctx.variables["total"],
                    headers=dict(ctx.headers), key=ctx.business_key, instance=ctx.instance_id)
        return {"paid": True}

    handlers = Handlers()
    handlers.register("payment.verify", verify)
    rt = run(_around(SERVICE), handlers=handlers).start({"total": 10}, business_key="order-7")
    assert rt.state == "completed"
    assert rt.variables == {"total": 10, "paid": True}
    assert seen == {"node": "t", "type": "payment.verify", "total": 10, "headers": {"provider": "acme"},
                    "key": "order-7", "instance": "i1"}


def test_a_handler_cannot_change_variables_through_its_context(run):
    def sneaky(ctx):
        ctx.variables["total"] = 0

    handlers = Handlers()
    handlers.register("payment.verify", sneaky)
    rt = run(_around(SERVICE), handlers=handlers).start({"total": 10})
    assert rt.state == "failed"
    assert rt.variables == {"total": 10}


def test_a_failing_handler_leaves_an_incident_on_its_token_and_a_retry_runs_it_again(run):
    calls = []

    def flaky(ctx):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("payment provider down")
        return {"paid": True}

    handlers = Handlers()
    handlers.register("payment.verify", flaky)
    rt = run(_around(SERVICE), handlers=handlers).start()
    assert rt.state == "failed"
    assert rt.incidents == [("t", "ConnectionError: payment provider down")]
    assert rt.i.incidents[0].attempts == 1
    rt.retry("t")
    assert rt.state == "completed"
    assert rt.variables == {"paid": True}


def test_a_handler_bpmn_error_without_a_catcher_is_an_incident_naming_the_code(run):
    def refuse(ctx):
        raise BpmnError("CARD_DECLINED", "card declined")

    handlers = Handlers()
    handlers.register("payment.verify", refuse)
    rt = run(_around(SERVICE), handlers=handlers).start()
    [(node, error)] = rt.incidents
    assert node == "t" and "CARD_DECLINED" in error


def test_a_service_task_without_a_registered_handler_becomes_a_job_a_worker_completes(run):
    rt = run(_around(SERVICE)).start()
    assert rt.waiting == [("t", "job")]
    [job] = rt.effects_of(JobCreated)
    assert job.task_type == "payment.verify" and job.headers == {"provider": "acme"}
    rt.complete_job("t", {"paid": True})
    assert rt.state == "completed"
    assert rt.variables == {"paid": True}


def test_missing_handlers_complete_at_once_when_the_registry_says_so(run):
    rt = run(_around(SERVICE), handlers=Handlers(missing="complete")).start()
    assert rt.state == "completed"


def test_missing_handlers_raise_an_incident_when_the_registry_says_so(run):
    rt = run(_around(SERVICE), handlers=Handlers(missing="incident")).start()
    [(node, error)] = rt.incidents
    assert node == "t" and "payment.verify" in error


def test_an_async_handler_runs_as_a_job_whose_failure_becomes_an_incident(run):
    handlers = Handlers()
    handlers.register("payment.verify", lambda ctx: {"never": "inline"}, async_=True)
    rt = run(_around(SERVICE), handlers=handlers).start()
    job = rt.wait_at("t", "job")
    rt.do(lambda i: i.fail_job(job.id, "timeout after 3 retries", now=rt.now))
    assert rt.incidents == [("t", "timeout after 3 retries")]


def test_a_bpmn_error_from_a_job_takes_the_error_boundary(run):
    body = document(
        '<startEvent id="start"/>' + SERVICE
        + '<boundaryEvent id="declined" attachedToRef="t"><errorEventDefinition errorRef="e1"/>'
        + "</boundaryEvent>"
        + '<endEvent id="end"/><endEvent id="refused"/>' + flows("start -> t -> end", "declined -> refused"),
        roots='<error id="e1" errorCode="CARD_DECLINED"/>',
    )
    rt = run(body).start()
    job = rt.wait_at("t", "job")
    rt.do(lambda i: i.throw_job_error(job.id, "CARD_DECLINED", "declined", {"reason": "limit"}, now=rt.now))
    assert rt.state == "completed"
    assert rt.path[-2:] == ["declined", "refused"]
    assert rt.variables == {"reason": "limit"}


def test_async_before_makes_a_job_before_the_task_runs(run):
    calls = []
    handlers = Handlers()
    handlers.register("payment.verify", lambda ctx: calls.append(1) or {"ran": True})
    rt = run(_around(SERVICE.replace("<serviceTask", '<serviceTask camunda:asyncBefore="true"')),
             handlers=handlers).start()
    assert rt.waiting == [("t", "job")] and calls == []
    rt.complete_job("t")
    assert calls == [1] and rt.state == "completed"


def test_async_after_makes_a_job_after_the_task_completed(run):
    rt = run(_around('<task id="t" camunda:asyncAfter="true"/>')).start()
    assert rt.waiting == [("t", "job")]
    rt.complete_job("t")
    assert rt.path == ["start", "t", "end"]


def test_a_service_task_expression_stores_its_value_in_the_result_variable(run):
    task = '<serviceTask id="t" camunda:expression="${total * 2}" camunda:resultVariable="double"/>'
    rt = run(_around(task)).start({"total": 21})
    assert rt.variables["double"] == 42


def test_a_feel_script_task_stores_its_result(run):
    task = ('<scriptTask id="t" scriptFormat="feel" camunda:resultVariable="vat">'
            "<script>total * 0.2</script></scriptTask>")
    rt = run(_around(task)).start({"total": Decimal("100")})
    assert rt.variables["vat"] == Decimal("20.0")


def test_a_send_task_throws_its_message_for_the_caller_to_correlate(run):
    task = '<sendTask id="t" messageRef="m"/>'
    rt = run(_around(task, roots='<message id="m" name="order.shipped"/>')).start()
    [sent] = rt.effects_of(MessageThrown)
    assert sent.name == "order.shipped" and sent.node == "t"
    assert rt.state == "completed"


def test_input_and_output_mappings_keep_task_variables_local(run):
    task = ('<serviceTask id="t"><extensionElements><zeebe:taskDefinition type="tax"/><zeebe:ioMapping>'
            '<zeebe:input source="=total * 2" target="amount"/>'
            '<zeebe:output source="=taxed" target="result"/>'
            "</zeebe:ioMapping></extensionElements></serviceTask>")
    handlers = Handlers()
    handlers.register("tax", lambda ctx: {"taxed": ctx.variables["amount"] + 1, "scratch": 1})
    rt = run(_around(task), handlers=handlers).start({"total": 10})
    assert rt.variables == {"total": 10, "result": 21}


USER = """<userTask id="t" camunda:assignee="${initiator}" camunda:candidateGroups="finance, support"
     camunda:priority="70" camunda:dueDate="2026-04-01T12:00:00Z">
  <extensionElements><camunda:formData>
    <camunda:formField id="amount" type="long"><camunda:validation>
      <camunda:constraint name="required"/><camunda:constraint name="min" config="1"/>
      <camunda:constraint name="max" config="5000"/></camunda:validation></camunda:formField>
    <camunda:formField id="reason" type="string"><camunda:validation>
      <camunda:constraint name="maxlength" config="10"/></camunda:validation></camunda:formField>
    <camunda:formField id="channel" type="enum">
      <camunda:value id="web" name="Web shop"/><camunda:value id="phone" name="Phone"/></camunda:formField>
  </camunda:formData></extensionElements></userTask>"""


def test_a_user_task_waits_with_its_assignee_groups_priority_due_date_and_form(run):
    rt = run(_around(USER)).start({"initiator": "bob"})
    wait = rt.wait_at("t", "userTask")
    assert wait.task is not None
    assert wait.task.assignee == "bob"
    assert wait.task.candidate_groups == ("finance", "support")
    assert wait.task.priority == 70
    assert wait.task.due_date is not None and wait.task.due_date.startswith("2026-04-01")
    assert [f.id for f in wait.task.form_fields] == ["amount", "reason", "channel"]


def test_completing_a_user_task_validates_the_form_and_names_every_wrong_field(run):
    rt = run(_around(USER)).start({"initiator": "bob"})
    with pytest.raises(FormError) as caught:
        rt.complete("t", {"amount": 9000, "reason": "far too long a reason", "channel": "fax"})
    assert set(caught.value.field_errors) == {"amount", "reason", "channel"}
    assert "at most 5000" in caught.value.field_errors["amount"]
    assert rt.state == "active"
    with pytest.raises(FormError, match="'amount' is required"):
        rt.complete("t", {})


def test_completing_a_user_task_with_valid_data_merges_the_converted_values(run):
    rt = run(_around(USER)).start({"initiator": "bob"})
    rt.complete("t", {"amount": "120", "channel": "web"})
    assert rt.state == "completed"
    assert rt.variables["amount"] == 120 and rt.variables["channel"] == "web"
