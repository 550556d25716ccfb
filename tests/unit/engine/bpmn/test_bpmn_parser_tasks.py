"""Tasks read their Camunda 7, Camunda 8 and conveyor extension attributes into the spec model."""

from __future__ import annotations

import pytest
from bpmn_samples import around, document

from conveyor.engine.bpmn import check_bpmn, parse_bpmn
from conveyor.engine.bpmn.expressions import compile_value, names_of
from conveyor.engine.bpmn.model import (
    BusinessRuleTask,
    CallActivity,
    Const,
    Node,
    ReceiveTask,
    ScriptTask,
    ServiceTask,
    UserTask,
)
from conveyor.engine.errors import ModelError


def task_of(xml_task: str, roots: str = "") -> Node:
    return parse_bpmn(document(around(xml_task), roots=roots)).processes["p"].node("task")


# --- service, send and receive tasks ------------------------------------------------------------


def test_camunda_expression_is_evaluated_into_its_result_variable() -> None:
    task = task_of(
        '<bpmn:serviceTask id="task" camunda:expression="${total * 2}" camunda:resultVariable="x"/>'
    )
    assert isinstance(task, ServiceTask)
    assert task.task_type is None
    assert task.expression is not None
    assert task.expression.evaluate({"total": 21}) == 42
    assert task.result_variable == "x"


def test_zeebe_task_headers_are_kept() -> None:
    task = task_of(
        """<bpmn:serviceTask id="task"><bpmn:extensionElements>
             <zeebe:taskDefinition type="shipping.create_label"/>
             <zeebe:taskHeaders><zeebe:header key="carrier" value="dhl"/></zeebe:taskHeaders>
           </bpmn:extensionElements></bpmn:serviceTask>"""
    )
    assert isinstance(task, ServiceTask)
    assert dict(task.headers) == {"carrier": "dhl"}


@pytest.mark.parametrize(
    ("markup", "before", "after"),
    [
        ('camunda:asyncBefore="true"', True, False),
        ('camunda:asyncAfter="true"', False, True),
        ('camunda:async="true"', True, False),
        ('conveyor:async="true"', True, False),
        ("", False, False),
    ],
)
def test_async_flags_are_read(markup: str, before: bool, after: bool) -> None:
    task = task_of(f'<bpmn:serviceTask id="task" conveyor:handler="h" {markup}/>')
    assert (task.async_before, task.async_after) == (before, after)


def test_failed_job_retry_time_cycle_gives_the_number_of_retries() -> None:
    task = task_of(
        """<bpmn:serviceTask id="task" camunda:class="com.acme.Charge"><bpmn:extensionElements>
             <camunda:failedJobRetryTimeCycle>R3/PT10M</camunda:failedJobRetryTimeCycle>
           </bpmn:extensionElements></bpmn:serviceTask>"""
    )
    assert isinstance(task, ServiceTask)
    assert task.retries == 3


def test_conveyor_retries_are_read() -> None:
    task = task_of('<bpmn:serviceTask id="task" conveyor:handler="h" conveyor:retries="7"/>')
    assert isinstance(task, ServiceTask)
    assert task.retries == 7


def test_send_task_keeps_its_message_and_handler() -> None:
    roots = '<bpmn:message id="Msg_shipped" name="order.shipped"/>'
    task = task_of('<bpmn:sendTask id="task" messageRef="Msg_shipped" conveyor:handler="notify"/>', roots)
    assert isinstance(task, ServiceTask)
    assert task.message is not None and task.message.name == "order.shipped"
    assert task.task_type == "notify"


def test_receive_task_waits_for_its_message() -> None:
    roots = '<bpmn:message id="Msg_paid" name="payment.received"/>'
    task = task_of('<bpmn:receiveTask id="task" messageRef="Msg_paid"/>', roots)
    assert isinstance(task, ReceiveTask)
    assert task.message is not None and task.message.name == "payment.received"


def test_service_task_without_type_is_only_a_warning() -> None:
    defs = parse_bpmn(document(around('<bpmn:serviceTask id="task"/>')))
    assert [w.code for w in defs.warnings] == ["service_task_without_type"]
    assert defs.warnings[0].element_id == "task"


# --- input and output mappings ------------------------------------------------------------------


def test_camunda_input_output_parameters_become_mappings() -> None:
    task = task_of(
        """<bpmn:serviceTask id="task" conveyor:handler="h"><bpmn:extensionElements>
             <camunda:inputOutput>
               <camunda:inputParameter name="carrier">dhl</camunda:inputParameter>
               <camunda:inputParameter name="amount">${total * 2}</camunda:inputParameter>
               <camunda:inputParameter name="greeting">Order ${orderId} shipped</camunda:inputParameter>
               <camunda:inputParameter name="lines">
                 <camunda:list>
                   <camunda:value>a</camunda:value><camunda:value>${orderId}</camunda:value>
                 </camunda:list>
               </camunda:inputParameter>
               <camunda:inputParameter name="address">
                 <camunda:map><camunda:entry key="city">${city}</camunda:entry></camunda:map>
               </camunda:inputParameter>
               <camunda:inputParameter name="tax">
                 <camunda:script scriptFormat="feel">total * 0.2</camunda:script>
               </camunda:inputParameter>
               <camunda:outputParameter name="label">${labelUrl}</camunda:outputParameter>
             </camunda:inputOutput>
           </bpmn:extensionElements></bpmn:serviceTask>"""
    )
    inputs = {m.target: m.source for m in task.inputs}
    variables = {"total": 10, "orderId": "A1", "city": "Lyon", "labelUrl": "u"}
    values = {name: source.evaluate(variables) for name, source in inputs.items() if source}
    assert values == {
        "carrier": "dhl",
        "amount": 20,
        "greeting": "Order A1 shipped",
        "lines": ["a", "A1"],
        "address": {"city": "Lyon"},
        "tax": 2,
    }
    assert [m.target for m in task.outputs] == ["label"]


def test_zeebe_io_mapping_becomes_mappings() -> None:
    task = task_of(
        """<bpmn:serviceTask id="task"><bpmn:extensionElements>
             <zeebe:taskDefinition type="t"/>
             <zeebe:ioMapping>
               <zeebe:input source="=total + 1" target="amount"/>
               <zeebe:output source="=result.id" target="labelId"/>
             </zeebe:ioMapping>
           </bpmn:extensionElements></bpmn:serviceTask>"""
    )
    (amount,) = task.inputs
    assert amount.target == "amount" and amount.source is not None
    assert amount.source.evaluate({"total": 1}) == 2
    (label,) = task.outputs
    assert label.source is not None and label.source.evaluate({"result": {"id": "L1"}}) == "L1"


# --- user tasks ---------------------------------------------------------------------------------


def test_camunda_7_user_task_assignment_and_form() -> None:
    task = task_of(
        """<bpmn:userTask id="task" camunda:assignee="${initiator}"
             camunda:candidateGroups="finance, support" camunda:candidateUsers="ann"
             camunda:dueDate="${due}" camunda:followUpDate="2026-01-02T00:00:00Z"
             camunda:priority="70" camunda:formKey="embedded:app:forms/refund.html">
           <bpmn:extensionElements><camunda:formData>
             <camunda:formField id="amount" label="Amount" type="long" defaultValue="10">
               <camunda:validation>
                 <camunda:constraint name="required"/>
                 <camunda:constraint name="min" config="1"/>
                 <camunda:constraint name="max" config="5000"/>
               </camunda:validation>
             </camunda:formField>
             <camunda:formField id="reason" type="string">
               <camunda:validation>
                 <camunda:constraint name="minlength" config="3"/>
                 <camunda:constraint name="maxlength" config="200"/>
                 <camunda:constraint name="pattern" config="[a-z ]+"/>
                 <camunda:constraint name="readonly"/>
               </camunda:validation>
             </camunda:formField>
             <camunda:formField id="channel" type="enum">
               <camunda:value id="web" name="Web shop"/><camunda:value id="phone" name="Phone"/>
             </camunda:formField>
           </camunda:formData></bpmn:extensionElements>
         </bpmn:userTask>"""
    )
    assert isinstance(task, UserTask)
    assert task.assignee is not None and task.assignee.evaluate({"initiator": "bob"}) == "bob"
    assert task.candidate_groups == Const(["finance", "support"], source="finance, support")
    assert task.candidate_users is not None and task.candidate_users.evaluate({}) == ["ann"]
    assert task.due_date is not None and task.due_date.evaluate({"due": "x"}) == "x"
    assert task.follow_up_date == Const("2026-01-02T00:00:00Z", source="2026-01-02T00:00:00Z")
    assert task.priority is not None and task.priority.evaluate({}) == 70
    assert task.form_key == "embedded:app:forms/refund.html"
    amount, reason, channel = task.form_fields
    assert (amount.id, amount.label, amount.type, amount.required) == ("amount", "Amount", "long", True)
    assert (amount.minimum, amount.maximum, amount.default) == (1, 5000, 10)
    assert (reason.min_length, reason.max_length, reason.pattern) == (3, 200, "[a-z ]+")
    assert reason.readonly
    assert channel.values == (("web", "Web shop"), ("phone", "Phone"))


def test_camunda_8_user_task_assignment_schedule_form_and_priority() -> None:
    task = task_of(
        """<bpmn:userTask id="task"><bpmn:extensionElements>
             <zeebe:assignmentDefinition assignee="=owner" candidateGroups="warehouse"/>
             <zeebe:taskSchedule dueDate="=now() + duration(&quot;P1D&quot;)"/>
             <zeebe:formDefinition formId="pack-form"/>
             <zeebe:priorityDefinition priority="80"/>
           </bpmn:extensionElements></bpmn:userTask>"""
    )
    assert isinstance(task, UserTask)
    assert task.assignee is not None and task.assignee.evaluate({"owner": "eve"}) == "eve"
    assert task.candidate_groups is not None and task.candidate_groups.evaluate({}) == ["warehouse"]
    assert task.due_date is not None and "now()" in task.due_date.source
    assert task.form_key == "pack-form"
    assert task.priority == Const(80, source="80")


# --- scripts ------------------------------------------------------------------------------------


def test_feel_script_task_is_compiled_with_its_result_variable() -> None:
    task = task_of(
        '<bpmn:scriptTask id="task" scriptFormat="feel" camunda:resultVariable="vat">'
        "<bpmn:script>total * 0.2</bpmn:script></bpmn:scriptTask>"
    )
    assert isinstance(task, ScriptTask)
    assert task.script is not None and task.script.evaluate({"total": 100}) == 20
    assert task.result_variable == "vat"


def test_zeebe_script_expression_is_compiled() -> None:
    task = task_of(
        '<bpmn:scriptTask id="task"><bpmn:extensionElements>'
        '<zeebe:script expression="=a + b" resultVariable="sum"/></bpmn:extensionElements></bpmn:scriptTask>'
    )
    assert isinstance(task, ScriptTask)
    assert task.script is not None and task.script.evaluate({"a": 1, "b": 2}) == 3
    assert task.result_variable == "sum"


@pytest.mark.parametrize("language", ["javascript", "groovy"])
def test_scripts_in_other_languages_are_refused_with_a_hint_to_use_feel(language: str) -> None:
    xml = document(
        around(
            f'<bpmn:scriptTask id="task" scriptFormat="{language}" camunda:resultVariable="x">'
            "<bpmn:script>1 + 1</bpmn:script></bpmn:scriptTask>"
        )
    )
    with pytest.raises(ModelError) as caught:
        parse_bpmn(xml)
    (problem,) = caught.value.errors
    assert problem.code == "unsupported_script"
    assert problem.element_id == "task"
    assert problem.hint is not None and "FEEL" in problem.hint


def test_python_statements_are_refused_never_executed() -> None:
    script = '<bpmn:scriptTask id="task"><bpmn:script>x = 1\nprint(x)</bpmn:script></bpmn:scriptTask>'
    xml = document(around(script))
    problems = check_bpmn(xml)
    errors = [(p.code, p.element_id) for p in problems if p.severity == "error"]
    assert errors == [("unsupported_script", "task")]


# --- business rule tasks and call activities ----------------------------------------------------


def test_camunda_7_business_rule_task_names_its_decision_and_result_mapping() -> None:
    task = task_of(
        '<bpmn:businessRuleTask id="task" camunda:decisionRef="carrier" camunda:resultVariable="carrier"'
        ' camunda:mapDecisionResult="singleEntry" camunda:decisionRefBinding="version"'
        ' camunda:decisionRefVersion="3"/>'
    )
    assert isinstance(task, BusinessRuleTask)
    assert (task.decision_ref, task.result_variable, task.map_decision_result) == (
        "carrier",
        "carrier",
        "singleEntry",
    )
    assert (task.binding, task.version) == ("version", 3)


def test_camunda_8_business_rule_task_stores_the_decision_value() -> None:
    task = task_of(
        '<bpmn:businessRuleTask id="task"><bpmn:extensionElements>'
        '<zeebe:calledDecision decisionId="risk" resultVariable="risk"/>'
        "</bpmn:extensionElements></bpmn:businessRuleTask>"
    )
    assert isinstance(task, BusinessRuleTask)
    assert (task.decision_ref, task.result_variable, task.map_decision_result) == ("risk", "risk", "value")


def test_business_rule_task_bound_to_a_class_calls_a_handler() -> None:
    task = task_of('<bpmn:businessRuleTask id="task" camunda:class="com.acme.Rules"/>')
    assert isinstance(task, BusinessRuleTask)
    assert (task.decision_ref, task.task_type) == (None, "com.acme.Rules")


def test_camunda_7_call_activity_with_in_and_out_mappings() -> None:
    task = task_of(
        """<bpmn:callActivity id="task" calledElement="shipping" camunda:calledElementBinding="version"
             camunda:calledElementVersion="2"><bpmn:extensionElements>
             <camunda:in source="orderId" target="order"/>
             <camunda:in sourceExpression="${total * 2}" target="double" local="true"/>
             <camunda:in businessKey="#{orderKey}"/>
             <camunda:out source="trackingNo" target="tracking"/>
           </bpmn:extensionElements></bpmn:callActivity>"""
    )
    assert isinstance(task, CallActivity)
    assert task.called_element == Const("shipping", source="shipping")
    assert (task.binding, task.version) == ("version", 2)
    assert [(m.target, m.local) for m in task.inputs] == [("order", False), ("double", True)]
    variables = {"orderId": "A1", "total": 2, "orderKey": "K"}
    assert [m.source.evaluate(variables) for m in task.inputs if m.source] == ["A1", 4]
    assert task.business_key is not None and task.business_key.evaluate(variables) == "K"
    assert [m.target for m in task.outputs] == ["tracking"]
    assert (task.propagate_all_in, task.propagate_all_out) == (False, False)


def test_camunda_7_call_activity_can_pass_all_variables() -> None:
    task = task_of(
        '<bpmn:callActivity id="task" calledElement="child"><bpmn:extensionElements>'
        '<camunda:in variables="all"/><camunda:out variables="all"/>'
        "</bpmn:extensionElements></bpmn:callActivity>"
    )
    assert isinstance(task, CallActivity)
    assert (task.propagate_all_in, task.propagate_all_out) == (True, True)
    assert task.inputs[0].all_variables


def test_camunda_8_call_activity_reads_zeebe_called_element() -> None:
    task = task_of(
        '<bpmn:callActivity id="task"><bpmn:extensionElements>'
        '<zeebe:calledElement processId="=childId" propagateAllChildVariables="false"/>'
        "</bpmn:extensionElements></bpmn:callActivity>"
    )
    assert isinstance(task, CallActivity)
    assert task.called_element is not None and task.called_element.evaluate({"childId": "c"}) == "c"
    assert (task.propagate_all_in, task.propagate_all_out) == (True, False)


def test_call_activity_without_mappings_passes_everything() -> None:
    task = task_of('<bpmn:callActivity id="task" calledElement="child"/>')
    assert isinstance(task, CallActivity)
    assert (task.propagate_all_in, task.propagate_all_out) == (True, True)


def test_camunda_connector_id_becomes_the_task_type_and_its_mappings_the_inputs() -> None:
    task = task_of(
        """<bpmn:serviceTask id="task"><bpmn:extensionElements><camunda:connector>
             <camunda:connectorId>http-connector</camunda:connectorId>
             <camunda:inputOutput><camunda:inputParameter name="url">https://carrier</camunda:inputParameter>
             </camunda:inputOutput>
           </camunda:connector></bpmn:extensionElements></bpmn:serviceTask>"""
    )
    assert isinstance(task, ServiceTask)
    assert task.task_type == "http-connector"
    assert [m.target for m in task.inputs] == ["url"]


def test_camunda_listeners_are_reported_as_ignored_never_run() -> None:
    xml = document(
        around(
            '<bpmn:userTask id="task"><bpmn:extensionElements>'
            '<camunda:taskListener class="com.acme.Notify" event="create"/>'
            "</bpmn:extensionElements></bpmn:userTask>"
        )
    )
    (warning,) = parse_bpmn(xml).warnings
    assert (warning.code, warning.element_id) == ("ignored_listener", "task")


def test_unknown_decision_result_mapping_is_an_error() -> None:
    task = '<bpmn:businessRuleTask id="task" camunda:decisionRef="d" camunda:mapDecisionResult="oneRow"/>'
    xml = document(around(task))
    assert [(p.code, p.element_id) for p in check_bpmn(xml)] == [("bad_decision_result_mapping", "task")]


def test_receive_task_without_message_is_an_error() -> None:
    xml = document(around('<bpmn:receiveTask id="task"/>'))
    assert [(p.code, p.element_id) for p in check_bpmn(xml)] == [("message_without_name", "task")]


def test_activiti_namespace_is_read_like_camunda_7() -> None:
    xml = document(
        around('<bpmn:serviceTask id="task" activiti:delegateExpression="#{archiveService}"/>')
    ).replace("<bpmn:definitions ", '<bpmn:definitions xmlns:activiti="http://activiti.org/bpmn" ')
    task = parse_bpmn(xml).processes["p"].node("task")
    assert isinstance(task, ServiceTask)
    assert task.task_type == "archiveService"


def test_camunda_7_extension_properties_are_handed_over_as_headers() -> None:
    task = task_of(
        """<bpmn:serviceTask id="task" camunda:type="external" camunda:topic="label"><bpmn:extensionElements>
             <camunda:properties><camunda:property name="carrier" value="ups"/></camunda:properties>
           </bpmn:extensionElements></bpmn:serviceTask>"""
    )
    assert isinstance(task, ServiceTask)
    assert dict(task.headers) == {"carrier": "ups"}


def test_composite_values_know_the_variables_they_read() -> None:
    template = compile_value("Order ${orderId} for ${customer.name}")
    assert names_of(template) >= {"orderId", "customer"}
