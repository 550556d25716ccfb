"""Expectations for SpiffWorkflow's own test models (``spiffworkflow/``).

Their conditions and scripts are Python. Simple comparisons run in the engine's
Python-condition dialect; models with Python statements are refused, never run.
The facts restate what SpiffWorkflow's tests (``tests/SpiffWorkflow``) expect of each
model, in our terms. SpiffWorkflow sets data on a task directly; where its tasks are
plain tasks we pass that data as start variables instead.
"""

from __future__ import annotations

from bpmn_expectations import Expectation, Refused, Runs
from bpmn_scenarios import Later, Scenario, Send

SPIFF = "spiffworkflow/bpmn/data/"
SPIFF_CAMUNDA = "spiffworkflow/camunda/data/"
SPIFF_SPIFF = "spiffworkflow/spiff/data/"
PYTHON = "Python statements"
PARALLEL_ORDER_TASKS = ("Activity_0x0i4s3", "Activity_1spu8el", "Activity_1aj4dg6", "Activity_0wjwnuk")



def _python(file: str, why: str) -> Refused:
    """A model refused because it holds Python statements (never executed)."""
    return Refused((file,), PYTHON, why)


SPIFF_CASES: dict[str, dict[str, Expectation]] = {
    SPIFF + "ParallelOrder.bpmn": {
        "": Runs(
            Scenario((SPIFF + "ParallelOrder.bpmn",)),
            ends_at="Event_0l2ep9d",
            counts=dict.fromkeys(PARALLEL_ORDER_TASKS, 1) | {"Gateway_1ocoth5": 1},
        )
    },
    SPIFF + "Test-Workflows/Message-Interrupts.bpmn20.xml": {
        "": Refused(
            (SPIFF + "Test-Workflows/Message-Interrupts.bpmn20.xml",),
            "names no message",
            "its boundary message event has no messageRef (SpiffWorkflow matches the event's name)",
        )
    },
    SPIFF + "Test-Workflows/Message-Non-Interrupt.bpmn20.xml": {
        "": Refused(
            (SPIFF + "Test-Workflows/Message-Non-Interrupt.bpmn20.xml",),
            "names no message",
            "its boundary message event has no messageRef (SpiffWorkflow matches the event's name)",
        )
    },
    SPIFF + "Test-Workflows/Parallel-Then-Exclusive.bpmn20.xml": {
        f"choice {choice}": Runs(
            Scenario(
                (SPIFF + "Test-Workflows/Parallel-Then-Exclusive.bpmn20.xml",), variables={"choice": choice}
            ),
            ends_at="sid-51816945-79BF-47F9-BA3C-E95ABAE3D1DB",
            passes=("sid-57463471-693A-42A2-9EC6-6460BEDECA86", "sid-F3A979E3-F586-4807-8223-1FAB5A5647B0"),
            counts={taken: 1, skipped: 0, "sid-F3A979E3-F586-4807-8223-1FAB5A5647B0": 1},
            note="Python comparisons (choice == 'Yes') run in the accepted Python-condition dialect",
        )
        for choice, taken, skipped in (
            ("Yes", "sid-34AD79D9-BE0C-4F97-AC23-7A97D238A6E5", "sid-2A302E91-F89F-4913-8F55-5C3AC5FAE4D3"),
            ("No", "sid-2A302E91-F89F-4913-8F55-5C3AC5FAE4D3", "sid-34AD79D9-BE0C-4F97-AC23-7A97D238A6E5"),
        )
    },
    SPIFF + "boundary.bpmn": {
        "the child says yes": Runs(
            Scenario(
                (SPIFF + "boundary.bpmn",),
                answers={"Activity_Pester_Dad": [{"answer": "No"}, {"answer": "No"}, {"answer": "Yes"}]},
            ),
            ends_at="Event_000aj7r",
            passes=("Activity_09c27ms", "Subworkflow", "StopCar"),
            counts={"Activity_Pester_Dad": 3},
            avoids=("Activity_1ya1db2",),
        ),
        "fed up: the timer interrupts the loop": Runs(
            Scenario((SPIFF + "boundary.bpmn",), answers={"Activity_Pester_Dad": "wait"}),
            ends_at="Event_000aj7r",
            passes=("Event_0iiih8g", "Activity_1ya1db2", "StopCar"),
            avoids=("Subworkflow", "Activity_Pester_Dad"),
        ),
    },
    SPIFF + "boundary_timer_on_task.bpmn": {
        "": _python(SPIFF + "boundary_timer_on_task.bpmn", "its script tasks are Python statements")
    },
    SPIFF + "call_activity_call_activity.bpmn": {
        "": _python(SPIFF + "call_activity_call_activity.bpmn", "its script task is Python statements")
    },
    SPIFF + "call_activity_end_event.bpmn": {
        "": _python(SPIFF + "call_activity_end_event.bpmn", "its script tasks are Python statements")
    },
    SPIFF + "call_activity_with_error.bpmn": {
        "": _python(SPIFF + "call_activity_with_error.bpmn", "its script tasks are Python statements")
    },
    SPIFF + "call_activity_nested/call_activity_level_2b.bpmn": {
        "": Runs(
            Scenario((SPIFF + "call_activity_nested/call_activity_level_2b.bpmn",)),
            ends_at="Event_18dla68",
            passes=("Activity_16ayqi8",),
        )
    },
    SPIFF + "call_activity_nested/call_activity_nested.bpmn": {
        "Level2b is not defined anywhere": Runs(
            Scenario(
                tuple(
                    SPIFF + "call_activity_nested/" + name
                    for name in ("call_activity_nested.bpmn", "call_activity_level_2b.bpmn", "level2c.dmn")
                ),
                process="Level1",
            ),
            state="failed",
            passes=("Activity_12zat0d",),
            incident=("Activity_0rkbhbz", "Level2b"),
            others={"Level2": ("completed", 1)},
            note="these files exist for SpiffWorkflow's dependency test: no file defines process Level2b "
            "(level_2b.bpmn defines Level2 again), so calling it is an incident",
        )
    },
    SPIFF + "call_activity_nested/call_activity_level_2.bpmn": {
        "Level3 calls itself": Runs(
            Scenario(
                tuple(
                    SPIFF + "call_activity_nested/" + name
                    for name in ("call_activity_level_2.bpmn", "call_activity_level_3.bpmn")
                ),
                process="Level2",
            ),
            state="failed",
            incident=("Activity_12zat0d", "call"),
            note="Level3's call activity calls Level3: endless recursion must become an incident",
        )
    },
    SPIFF + "call_activity_nested/call_activity_level_3.bpmn": {
        "calls itself": Runs(
            Scenario((SPIFF + "call_activity_nested/call_activity_level_3.bpmn",)),
            state="failed",
            incident=("Activity_12zat0d", "call"),
        )
    },
    SPIFF + "collaboration.bpmn": {
        "the letter is answered": Runs(
            Scenario((SPIFF + "collaboration.bpmn",), sends=(Send("Love Letter Response"),)),
            ends_at="Event_01h5zqa",
            passes=("ActivitySendLetter", "EventReceiveLetter"),
        ),
        "no answer yet": Runs(
            Scenario((SPIFF + "collaboration.bpmn",)),
            state="active",
            passes=("ActivitySendLetter",),
            waiting=(("EventReceiveLetter", "message"),),
        ),
    },
    SPIFF + "conditional_event.bpmn": {
        "": Refused(
            (SPIFF + "conditional_event.bpmn",),
            "conditional event is not supported",
            "conditional events are not supported (not required by the engine's scope)",
        )
    },
    SPIFF + "correlation.bpmn": {
        "two conversations": Runs(
            Scenario((SPIFF + "correlation.bpmn",), process="proc_1"),
            ends_at="Event_0qga5tr",
            counts={"start_proc_2": 2, "get_response": 2, "subprocess": 3},  # 2 iterations + the body
            others={"proc_2": ("completed", 2)},
            note="each multi-instance branch's thrown message starts proc_2, whose answer resumes it",
        )
    },
    SPIFF + "data_object.bpmn": {
        "": Runs(
            Scenario((SPIFF + "data_object.bpmn",), answers={"generate_data": {"obj_1": "hello"}}),
            ends_at="Event_0qw1yr0",
            passes=("generate_data", "task_1", "read_data", "placeholder", "subprocess"),
            variables={"obj_1": "hello"},
        )
    },
    SPIFF + "event-gateway.bpmn": {
        **{
            f"{name} first": Runs(
                Scenario((SPIFF + "event-gateway.bpmn",), sends=(Send(name),)),
                ends_at=f"{name}_end",
                avoids=("timer_event",),
            )
            for name in ("message_1", "message_2")
        },
        "the timer first": Runs(
            Scenario((SPIFF + "event-gateway.bpmn",)),
            ends_at="timer",
            avoids=("message_1_event", "message_2_event"),
        ),
    },
    SPIFF + "event-subprocess.bpmn": {
        "": Runs(
            Scenario((SPIFF + "event-subprocess.bpmn",), variables={"v1": True, "v2": False}),
            ends_at="sub",
            passes=("set_data", "task", "Event_17xen75"),
            avoids=("Event_03f19jy",),
            note="the signal the process throws starts its own event sub-process, which interrupts "
            "(the default): the token at the throw event is cancelled, the process ends with the sub-process",
        )
    },
    SPIFF + "exclusive_gateway_no_default.bpmn": {
        "x above one": Runs(
            Scenario((SPIFF + "exclusive_gateway_no_default.bpmn",), variables={"x": 2}),
            ends_at="Event_End",
            passes=("Activity_Greater",),
        ),
        "x is one: no flow matches": Runs(
            Scenario((SPIFF + "exclusive_gateway_no_default.bpmn",), variables={"x": 1}),
            state="failed",
            incident=("Gateway_CheckValue", "no condition matched"),
            note="no condition holds and there is no default: an incident, not a crash",
        ),
    },
    SPIFF + "inclusive_gateway.bpmn": {
        "": _python(SPIFF + "inclusive_gateway.bpmn", "its script tasks are Python statements")
    },
    SPIFF + "lanes.bpmn": {
        "no clarification": Runs(
            Scenario((SPIFF + "lanes.bpmn",), answers={"Activity_B1": {"NeedClarification": False}}),
            ends_at="Event_07pakcl",
            passes=("Activity_A1", "Activity_B1", "Implement_Feature", "SubProcessTask"),
            avoids=("Activity_A2",),
        ),
        "clarification": Runs(
            Scenario((SPIFF + "lanes.bpmn",), variables={"NeedClarification": "Yes"}),
            ends_at="Event_07pakcl",
            passes=("Activity_B1", "Activity_A2", "Implement_Feature"),
            note="a boolean form field compared with 'Yes' in Python: the string comes from a start variable",
        ),
    },
    SPIFF + "parallel_multiinstance_cardinality.bpmn": {
        "": Runs(
            Scenario((SPIFF + "parallel_multiinstance_cardinality.bpmn",)),
            ends_at="Event_1xk7z3g",
            counts={"any_task": 4},
            note="three instances of the task, then the multi-instance activity itself completes",
        )
    },
    SPIFF + "parallel_multiinstance_loop_input.bpmn": {
        "": Runs(
            Scenario(
                (SPIFF + "parallel_multiinstance_loop_input.bpmn",), variables={"input_data": [1, 2, 3]}
            ),
            ends_at="Event_1xk7z3g",
            counts={"any_task": 4},
        )
    },
    SPIFF + "sequential_multiinstance_loop_input.bpmn": {
        "": Runs(
            Scenario(
                (SPIFF + "sequential_multiinstance_loop_input.bpmn",), variables={"input_data": [1, 2, 3]}
            ),
            ends_at="Event_1xk7z3g",
            counts={"any_task": 4},
        )
    },
    SPIFF + "standard_loop.bpmn": {
        "until the maximum": Runs(
            Scenario((SPIFF + "standard_loop.bpmn",), variables={"done": False}),
            ends_at="Event_1xk7z3g",
            counts={"any_task": 4},
            note="loopMaximum 3: three iterations, then the loop activity completes",
        ),
        "skipped: tested before": Runs(
            Scenario((SPIFF + "standard_loop.bpmn",), variables={"done": True}),
            ends_at="Event_1xk7z3g",
            counts={"any_task": 1},
            note="testBefore with the condition already false: no iteration, the loop activity completes",
        ),
    },
    SPIFF + "timer-cycle.bpmn": {
        "": _python(SPIFF + "timer-cycle.bpmn", "its script tasks are Python statements")
    },
    SPIFF + "timer-date-start.bpmn": {
        "": Refused(
            (SPIFF + "timer-date-start.bpmn",),
            PYTHON,
            "its timer date is a Python variable and its script Python statements",
        )
    },
    SPIFF + "timer-non-interrupt-boundary.bpmn": {
        "slow: the reason is asked, then the work is done": Runs(
            Scenario(
                (SPIFF + "timer-non-interrupt-boundary.bpmn",),
                answers={
                    "Activity_Work": Later({"work_done": "Yes"}),
                    "GetReason": {"delay_reason": "meetings"},
                },
            ),
            ends_at="Event_17ly1lc",
            passes=("Event_0jyy8ao", "Activity_0e5qk4z", "Gateway_19fdoel"),
            counts={"GetReason": 1, "Activity_Work": 1, "Gateway_19fdoel": 1},
            note="the non-interrupting timer leaves the work open and starts the reason branch; "
            "both branches meet at the join",
        ),
    },
    SPIFF + "timer.bpmn": {
        "": Runs(
            Scenario((SPIFF + "timer.bpmn",)),
            ends_at="Event_03w65sk",
            passes=("Event_0bxivgz",),
        )
    },
    SPIFF + "transaction.bpmn": {
        "": Refused(
            (SPIFF + "transaction.bpmn",),
            "not supported",
            "transactions and cancel events are not supported (not required); its scripts are Python",
        )
    },
    SPIFF + "uncaught_escalation.bpmn": {
        "": Runs(
            Scenario((SPIFF + "uncaught_escalation.bpmn",)),
            ends_at="Event_0yxpeto",
            passes=("Event_0rc21k6", "subprocess"),
            note="an escalation nobody catches does not stop the process",
        )
    },
    SPIFF_CAMUNDA + "ExclusiveGatewayIfElseAndDecision.bpmn": {
        f"x is {x}": Runs(
            Scenario(
                (
                    SPIFF_CAMUNDA + "ExclusiveGatewayIfElseAndDecision.bpmn",
                    SPIFF_CAMUNDA + "dmn/test_integer_decision.dmn",
                ),
                variables={"x": x},
            ),
            ends_at=end,
            counts={"TaskDecision": 1 if x > 2 else 0},
        )
        for x, end in ((1, "EndEvent_0ofyivj"), (2, "EndEvent_01jecqa"), (4, "EndEvent_0n32cxd"))
    },
    SPIFF_CAMUNDA + "external_message.bpmn": {
        "": Refused(
            (SPIFF_CAMUNDA + "external_message.bpmn",),
            PYTHON,
            "its scripts are Python statements",
        )
    },
    SPIFF_SPIFF + "business_rule_task.bpmn": {
        "": _python(SPIFF_SPIFF + "business_rule_task.bpmn", "its script task is Python statements")
    },
    SPIFF_SPIFF + "error_event_payload.bpmn": {
        "error thrown": Runs(
            Scenario(
                (SPIFF_SPIFF + "error_event_payload.bpmn",), variables={"error": True, "payload": "ERROR!"}
            ),
            ends_at="Event_1nd3odq",
            passes=("set_data", "catch"),
            avoids=("Activity_1qrttpi",),
            note="SpiffWorkflow's payload extension (spiffworkflow:payloadExpression) is not read",
        ),
        "no error": Runs(
            Scenario((SPIFF_SPIFF + "error_event_payload.bpmn",)),
            ends_at="Event_1n1i393",
            avoids=("throw", "catch"),
        ),
    },
    SPIFF_SPIFF + "escalation_event_payload.bpmn": {
        "escalated": Runs(
            Scenario((SPIFF_SPIFF + "escalation_event_payload.bpmn",), variables={"escalation": True}),
            ends_at="Event_1nd3odq",
            passes=("catch",),
            avoids=("Activity_1qrttpi",),
        ),
    },
    SPIFF_SPIFF + "signal_event_payload.bpmn": {
        "": Runs(
            Scenario((SPIFF_SPIFF + "signal_event_payload.bpmn",), variables={"v1": 1, "v2": 2, "v3": 3}),
            ends_at="Event_1dtkuop",
            passes=("set_data", "throw"),
            counts={"catch": 1, "Gateway_0wnznah": 1},
            note="the signal thrown on one branch is caught on the other; the join fires once",
        )
    },
}
