"""Small BPMN models for the workflow runtime tests, one behaviour each."""

from __future__ import annotations

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
    xmlns:conveyor="http://conveyor.dev/schema/bpmn"
    id="defs" targetNamespace="http://conveyor.dev/tests">
"""
TAIL = "</bpmn:definitions>\n"


def bpmn(body: str) -> str:
    return HEAD + body + TAIL


def flow(source: str, target: str, condition: str | None = None) -> str:
    cond = f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>" if condition else ""
    ids = f'id="f_{source}_{target}" sourceRef="{source}" targetRef="{target}"'
    return f"<bpmn:sequenceFlow {ids}>{cond}</bpmn:sequenceFlow>\n"


def quality_check(name: str = "Quality check", extra_field: str = "") -> str:
    """start -> qc (user task, group warehouse, form: passed boolean required) -> end."""
    return bpmn(
        f"""<bpmn:process id="qc_process" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:userTask id="quality_check" name="{name}" camunda:candidateGroups="warehouse,support">
    <bpmn:extensionElements><camunda:formData>
      <camunda:formField id="passed" type="boolean"><camunda:validation>
        <camunda:constraint name="required"/></camunda:validation></camunda:formField>{extra_field}
    </camunda:formData></bpmn:extensionElements>
  </bpmn:userTask>
  <bpmn:endEvent id="end"/>
  {flow("start", "quality_check")}{flow("quality_check", "end")}
</bpmn:process>
"""
    )


def two_steps() -> str:
    """start -> pack (user task) -> ship (user task) -> end: restarted between every wait."""
    return bpmn(
        f"""<bpmn:process id="two_steps" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:userTask id="pack"/>
  <bpmn:intermediateCatchEvent id="wait_a_bit"><bpmn:timerEventDefinition>
    <bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
  <bpmn:receiveTask id="delivered" messageRef="m_delivered"/>
  <bpmn:userTask id="ship"/>
  <bpmn:endEvent id="end"/>
  {flow("start", "pack")}{flow("pack", "wait_a_bit")}{flow("wait_a_bit", "delivered")}
  {flow("delivered", "ship")}{flow("ship", "end")}
</bpmn:process>
<bpmn:message id="m_delivered" name="delivered">
  <bpmn:extensionElements><zeebe:subscription correlationKey="=order_id"/></bpmn:extensionElements>
</bpmn:message>
"""
    )


def parallel_jobs() -> str:
    """Two async service branches joined by a parallel gateway, then a sync 'after_join' handler."""
    return bpmn(
        f"""<bpmn:process id="parallel" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:parallelGateway id="fork"/>
  <bpmn:serviceTask id="pick" camunda:type="external" camunda:topic="branch"/>
  <bpmn:serviceTask id="notify" camunda:type="external" camunda:topic="branch"/>
  <bpmn:intermediateCatchEvent id="short_wait"><bpmn:timerEventDefinition>
    <bpmn:timeDuration>PT0.01S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
  <bpmn:parallelGateway id="join"/>
  <bpmn:serviceTask id="ship" camunda:type="external" camunda:topic="after_join"/>
  <bpmn:endEvent id="end"/>
  {flow("start", "fork")}{flow("fork", "pick")}{flow("fork", "notify")}
  {flow("pick", "join")}{flow("notify", "short_wait")}{flow("short_wait", "join")}
  {flow("join", "ship")}{flow("ship", "end")}
</bpmn:process>
"""
    )


def flaky_service(retries: int | None = None) -> str:
    """A service task of type 'flaky' with an error boundary catching code 'REFUSED'."""
    attr = f' conveyor:retries="{retries}"' if retries is not None else ""
    return bpmn(
        f"""<bpmn:process id="flaky" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:serviceTask id="charge" conveyor:handler="flaky"{attr}/>
  <bpmn:boundaryEvent id="refused" attachedToRef="charge">
    <bpmn:errorEventDefinition errorRef="e_refused"/></bpmn:boundaryEvent>
  <bpmn:endEvent id="charged"/>
  <bpmn:endEvent id="refused_end"/>
  {flow("start", "charge")}{flow("charge", "charged")}{flow("refused", "refused_end")}
</bpmn:process>
<bpmn:error id="e_refused" errorCode="REFUSED"/>
"""
    )


def race() -> str:
    """An event-based gateway: message 'delivered' (key = order_id) or a one-hour timer."""
    return bpmn(
        f"""<bpmn:process id="race" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:eventBasedGateway id="gw"/>
  <bpmn:intermediateCatchEvent id="got_delivered"><bpmn:messageEventDefinition messageRef="m_delivered"/>
  </bpmn:intermediateCatchEvent>
  <bpmn:intermediateCatchEvent id="timed_out"><bpmn:timerEventDefinition>
    <bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
  <bpmn:endEvent id="delivered_end"/>
  <bpmn:endEvent id="timeout_end"/>
  {flow("start", "gw")}{flow("gw", "got_delivered")}{flow("gw", "timed_out")}
  {flow("got_delivered", "delivered_end")}{flow("timed_out", "timeout_end")}
</bpmn:process>
<bpmn:message id="m_delivered" name="delivered">
  <bpmn:extensionElements><zeebe:subscription correlationKey="=order_id"/></bpmn:extensionElements>
</bpmn:message>
"""
    )


def message_start() -> str:
    return bpmn(
        f"""<bpmn:process id="returns" isExecutable="true">
  <bpmn:startEvent id="requested"><bpmn:messageEventDefinition messageRef="m_return"/></bpmn:startEvent>
  <bpmn:userTask id="inspect"/>
  <bpmn:endEvent id="end"/>
  {flow("requested", "inspect")}{flow("inspect", "end")}
</bpmn:process>
<bpmn:message id="m_return" name="return.requested"/>
"""
    )


def signal_wait() -> str:
    return bpmn(
        f"""<bpmn:process id="recall" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:intermediateCatchEvent id="recalled"><bpmn:signalEventDefinition signalRef="s_recall"/>
  </bpmn:intermediateCatchEvent>
  <bpmn:endEvent id="end"/>
  {flow("start", "recalled")}{flow("recalled", "end")}
</bpmn:process>
<bpmn:signal id="s_recall" name="recall"/>
"""
    )


def timer_start(cycle: str = "R3/PT1H") -> str:
    return bpmn(
        f"""<bpmn:process id="nightly" isExecutable="true">
  <bpmn:startEvent id="tick"><bpmn:timerEventDefinition><bpmn:timeCycle>{cycle}</bpmn:timeCycle>
  </bpmn:timerEventDefinition></bpmn:startEvent>
  <bpmn:endEvent id="end"/>
  {flow("tick", "end")}
</bpmn:process>
"""
    )


def call_parent() -> str:
    return bpmn(
        f"""<bpmn:process id="parent" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:callActivity id="call_child" calledElement="child"/>
  <bpmn:userTask id="after_child"/>
  <bpmn:endEvent id="end"/>
  {flow("start", "call_child")}{flow("call_child", "after_child")}{flow("after_child", "end")}
</bpmn:process>
<bpmn:process id="child" isExecutable="true">
  <bpmn:startEvent id="c_start"/>
  <bpmn:userTask id="child_task"/>
  <bpmn:endEvent id="c_end"/>
  {flow("c_start", "child_task")}{flow("child_task", "c_end")}
</bpmn:process>
"""
    )


def undecidable_gateway() -> str:
    """An exclusive gateway on ``total`` with no default: without ``total`` it is an incident."""
    return bpmn(
        f"""<bpmn:process id="routing" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:exclusiveGateway id="route"/>
  <bpmn:endEvent id="big"/>
  <bpmn:endEvent id="small"/>
  {flow("start", "route")}{flow("route", "big", "total &gt; 100")}{flow("route", "small", "total &lt;= 100")}
</bpmn:process>
"""
    )


DISCOUNT_V1 = """<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="rules" name="Rules"
    namespace="http://conveyor.dev/tests">
  <decision id="discount" name="Discount">
    <decisionTable id="t" hitPolicy="FIRST">
      <input id="i1" label="Total"><inputExpression><text>total</text></inputExpression></input>
      <output id="o1" name="discount" typeRef="number"/>
      <rule id="r1"><inputEntry><text>&gt;= 100</text></inputEntry>
        <outputEntry><text>RATE</text></outputEntry></rule>
      <rule id="r2"><inputEntry><text>-</text></inputEntry><outputEntry><text>0</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


def discount_rules(rate: str = "0.1") -> str:
    return DISCOUNT_V1.replace("RATE", rate)


def priced_order() -> str:
    """A business rule task evaluating the deployed 'discount' decision, then a user task."""
    return bpmn(
        f"""<bpmn:process id="priced" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:businessRuleTask id="price" camunda:decisionRef="discount" camunda:resultVariable="discount"
      camunda:mapDecisionResult="singleEntry"/>
  <bpmn:userTask id="confirm"/>
  <bpmn:endEvent id="end"/>
  {flow("start", "price")}{flow("price", "confirm")}{flow("confirm", "end")}
</bpmn:process>
"""
    )
