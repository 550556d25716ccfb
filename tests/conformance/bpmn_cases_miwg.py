"""Expectations for the OMG BPMN MIWG reference models (``bpmn-miwg/``).

Most are descriptive (``isExecutable="false"``). The executable ones are the Camunda
demo models: C.1.x (invoice approval), C.3.0 (fridge repair), C.4.0 (onboarding pools
started by a signal), C.5.0, C.8.1 (vacation request, Camunda 8) and the C.9.x set
(customer onboarding calling a manual check calling a document request, Camunda 8).
Their facts follow the reference descriptions and the standard's semantics.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bpmn_expectations import Descriptive, Expectation, Runs
from bpmn_scenarios import Scenario, Send

MIWG = "bpmn-miwg/"

C1_APPROVE, C1_REVIEW = "approveInvoice", "reviewInvoice"
C1_DONE = ("prepareBankTransfer", "archiveInvoice", "invoiceProcessed")


def _invoice(file: str, start_message: str | None) -> dict[str, Runs]:
    """C.1.0 / C.1.1: approve, or clarify and approve, or clarify and give up."""

    def scenario(answers: Mapping[str, Any]) -> Scenario:
        return Scenario((file,), start_message=start_message, answers=answers)

    return {
        "approved": Runs(
            scenario({C1_APPROVE: {"approved": True}}),
            ends_at="invoiceProcessed",
            passes=("assignApprover", C1_APPROVE, "invoice_approved", *C1_DONE),
            avoids=(C1_REVIEW,),
        ),
        "clarified then approved": Runs(
            scenario(
                {C1_APPROVE: [{"approved": False}, {"approved": True}], C1_REVIEW: {"clarified": "yes"}}
            ),
            ends_at="invoiceProcessed",
            passes=(C1_APPROVE, C1_REVIEW, "reviewSuccessful_gw", C1_APPROVE, *C1_DONE),
            counts={C1_APPROVE: 2},
        ),
        "not clarified": Runs(
            scenario({C1_APPROVE: {"approved": False}, C1_REVIEW: {"clarified": "no"}}),
            ends_at="invoiceNotProcessed",
            avoids=C1_DONE,
        ),
    }


C3_START = "_cc9778bd-edd8-4df2-ba15-56c310f90e62"
C4_IT, C4_FACILITIES = "_f0035388-f829-470c-b82b-0b15c3da3399", "_3486bf55-0a7f-4ff1-be15-1555669f58ad"
C8 = {
    "fetch": "_2b960d84-feb1-46a9-a1a1-c300dd996b99",
    "decide": "_1a818a94-ba6f-413b-a7e8-6f8fd2a11e32",
    "manual": "_79523269-7444-4b01-90e9-e23957a9d020",
    "approved automatically": "_6677ef80-82df-4951-919d-1f36123b681b",
    "refused automatically": "_1688f604-5edf-4187-ad9e-18f74bfede53",
    "approved by manager": "_1cd5fe29-b3ec-4f21-a1aa-57773f0729ca",
    "refused by manager": "_3ae826ca-5f38-43c4-be3a-35d1157aa27f",
    "not found": "_b4d636eb-b501-4462-93c8-04652db10307",
}
C8_EMPLOYEE = {"body": {"value": [{"name": "Ada", "remaining": 12}]}}
C8_REQUEST = {"Employee Badge Number": 7, "From": "2025-03-03", "To": "2025-03-07"}


def _vacation(approval: str, **extra: Any) -> Scenario:
    decision = {"Vacation Approval Status": {"Approval": approval, "Reason": "team calendar"}}
    return Scenario(
        (MIWG + "C.8.1.bpmn",),
        variables=C8_REQUEST,
        mocks={C8["fetch"]: C8_EMPLOYEE, C8["decide"]: decision},
        **extra,
    )


C9 = (MIWG + "C.9.0.bpmn", MIWG + "C.9.2.bpmn", MIWG + "C.9.1.bpmn")
C9_APPLICANT = {"applicant": {"name": "Ada", "email": "ada@example.com", "age": 36}, "corporation": "ACME"}
C9_RISK = "BusinessRuleTask_CheckApplicationAutomatically"


def _onboarding(risk: str, **extra: Any) -> Scenario:
    # risk_check's DMN is not part of the reference set: the decision is mocked
    result = {"result": {"riskLevel": [risk], "risk": [] if risk == "green" else [f"{risk} flag"]}}
    variables = {**C9_APPLICANT, "fraudSuspectedId": "F-1", **extra.pop("variables", {})}
    return Scenario(
        C9, process="customer_onboarding_en", variables=variables, mocks={C9_RISK: result}, **extra
    )


def _descriptive(*names: str) -> dict[str, dict[str, Expectation]]:
    why = 'isExecutable="false" (a descriptive model)'
    return {MIWG + n: {"": Descriptive(MIWG + n, why)} for n in names}


MIWG_CASES: dict[str, dict[str, Expectation]] = {
    **_descriptive("A.1.0.bpmn", "A.2.0.bpmn", "A.2.1.bpmn", "A.3.0.bpmn", "A.4.0.bpmn", "A.4.1.bpmn"),
    **_descriptive("B.1.0.bpmn", "B.2.0.bpmn", "C.2.0.bpmn", "C.8.0.bpmn"),
    MIWG + "C.6.0.bpmn": {
        "": Descriptive(
            MIWG + "C.6.0.bpmn",
            "no isExecutable and its message events name no message, its timer has no value: "
            "read as documentation",
        )
    },
    MIWG + "C.7.0.bpmn": {
        "": Descriptive(
            MIWG + "C.7.0.bpmn",
            "no isExecutable and its tasks have no types, its business rule task no decision: "
            "read as documentation",
        )
    },
    MIWG + "C.1.0.bpmn": _invoice(MIWG + "C.1.0.bpmn", "invoice-received-C.1.0"),
    MIWG + "C.1.1.bpmn": _invoice(MIWG + "C.1.1.bpmn", None),
    MIWG + "C.3.0.bpmn": {
        "warranty": Runs(
            Scenario((MIWG + "C.3.0.bpmn",), start_message="Service Level"),
            ends_at="_177bd313-c6c9-4df5-8f82-313beb30d2eb",
            passes=(
                C3_START, "_c73a5f4a-72f1-4e11-bb40-2f98da75fb9a", "_a92069f7-377b-4dbd-a1fd-1da071aabf6d"
            ),
            note="the service-type flows carry names, not conditions: the first flow in model order wins",
        )
    },
    MIWG + "C.4.0.bpmn": {
        "new employee hired": Runs(
            Scenario((MIWG + "C.4.0.bpmn",), start_signal="New employee hired"),
            ends_at="_c82dd8eb-ce54-4aa7-b8c4-b8d3e8fd654e",
            passes=("_7e9d2e5a-21f7-493b-9ae4-03245aa33a5c", "_9db2d136-aa33-4de2-be76-554e7843363d"),
            others={C4_FACILITIES: ("completed", 1)},
            note="one signal starts the IT and the Facilities processes; the HR pool is documentation",
        )
    },
    MIWG + "C.5.0.bpmn": {
        "group exists": Runs(
            Scenario((MIWG + "C.5.0.bpmn",)),
            ends_at="_f7ce4bda-22c2-4ef9-aad9-5203dff18538",
            passes=("_8b104885-149e-4af6-a459-d924dacd81b3", "_7507ae41-a1fa-405c-b4ea-85ed920eace5"),
            note="the gateway's flows carry names, not conditions: the first flow in model order wins",
        )
    },
    MIWG + "C.8.1.bpmn": {
        "approved automatically": Runs(
            _vacation("Approved"),
            ends_at=C8["approved automatically"],
            passes=(C8["fetch"], C8["decide"]),
            variables={
                "Vacation Approval": "Approved",
                "Current Vacation Status": C8_EMPLOYEE["body"]["value"][0],
            },
        ),
        "refused automatically": Runs(
            _vacation("Refused"),
            ends_at=C8["refused automatically"],
            variables={"Reason": "team calendar"},
        ),
        "approved by the manager": Runs(
            _vacation(
                "Manual Validation Required", answers={C8["manual"]: {"Vacation Approval": "Approved"}}
            ),
            ends_at=C8["approved by manager"],
            passes=(C8["manual"],),
        ),
        "refused by the manager": Runs(
            _vacation("Manual Validation Required", answers={C8["manual"]: {"Vacation Approval": "Refused"}}),
            ends_at=C8["refused by manager"],
        ),
        "employee not found": Runs(
            _vacation("Approved", fails={C8["fetch"]: "404"}),
            ends_at=C8["not found"],
            avoids=(C8["fetch"], C8["decide"]),
            note="the HTTP task throws BPMN error 404; its boundary event catches it",
        ),
    },
    MIWG + "C.9.0.bpmn": {
        "green risk": Runs(
            _onboarding("green"),
            ends_at="EndEvent_ApplicationIssued",
            passes=(
                "ServiceTask_GetCreditScore", C9_RISK, "ServiceTask_DeliverPolicy", "SendTask_SendPolicy"
            ),
            variables={"riskLevels": ["green"], "risks": []},
        ),
        "red risk": Runs(
            _onboarding("red"),
            ends_at="EndEvent_ApplicationRejected",
            passes=("ServiceTask_RejectPolicy", "SendTask_SendRejection"),
        ),
        "yellow risk, fraud found in the manual check": Runs(
            _onboarding(
                "yellow",
                answers={"UserTask_DecideOnApplication": "wait", "UserTask_CheckForFraud": {"fraud": True}},
                sends=(Send("Message_FraudSuspected", "F-1"),),
            ),
            ends_at="TerminateEvent_ApplicationCanceledFraud",
            passes=("ErrorBoundaryEvent_FraudDetected", "SendTask_ReportFraud"),
            avoids=("Activity_ManualCheck",),
            note="error 02 ends the called ManualCheck's event sub-process and is caught on the "
            "call activity",
        ),
        "yellow risk, no decision within 7 days": Runs(
            _onboarding("yellow", answers={"UserTask_DecideOnApplication": "wait"}),
            ends_at="TerminateEvent_ApplicationCanceledFraud",
            passes=("ErrorBoundaryEvent_FraudDetected", "SendTask_ReportFraud"),
            others={"ManualCheck": ("terminated", 1)},
            note="ManualCheck speeds up on day 5 (timer event sub-process), then its 7-day timer ends "
            "it with error 02, which the caller catches",
        ),
        "yellow risk, the decision stays in the called process": Runs(
            _onboarding("yellow", answers={"UserTask_DecideOnApplication": {"approved": True}}),
            state="failed",
            incident=("ExclusiveGateway_Decision", "no condition matched"),
            passes=("Activity_ManualCheck",),
            others={"ManualCheck": ("completed", 1)},
            note='propagateAllChildVariables="false" and no output mapping: "approved" never reaches '
            "the caller, so its gateway has nothing to decide on (as in Zeebe)",
        ),
        "yellow risk, cancelled while in the manual check": Runs(
            _onboarding(
                "yellow",
                answers={"UserTask_DecideOnApplication": "wait"},
                sends=(Send("Message_CancellationRequested", 1),),
            ),
            ends_at=None,
            passes=("StartMessageEvent_CancellationRequested", "ServiceTask_CancelApplication"),
            counts={"EndMessageEvent_InformCustomer": 1, "EndMessageEvent_InformOperations": 1},
            avoids=("Activity_ManualCheck",),
            others={"ManualCheck": ("cancelled", 1)},
            note="the interrupting message event sub-process (correlation key =01) cancels the call",
        ),
    },
    MIWG + "C.9.1.bpmn": {
        "document received": Runs(
            Scenario(
                (MIWG + "C.9.1.bpmn",),
                variables={"documentReferenceId": "D-1"},
                sends=(Send("MESSAGE_documentReceived", "D-1"),),
            ),
            ends_at="EndEvent_GotDocument",
            avoids=("SendTask_SendReminderEmail",),
        ),
        "answered after two reminders": Runs(
            Scenario(
                (MIWG + "C.9.1.bpmn",),
                variables={"documentReferenceId": "D-1"},
                sends=(Send("MESSAGE_documentReceived", "D-1", after_timers=2),),
            ),
            passes=("ReceiveTask_WaitForDocument", "EndEvent_GotDocument"),
            counts={"SendTask_SendReminderEmail": 2, "EndEvent_ReminderSent": 2},
            avoids=("UserTask_CallCustomer",),
            note="the answer ends the wait and cancels its reminder cycle and its one-week timer; "
            "a reminder already on its way (an email job) still finishes",
        ),
        "an answer for another document is not taken": Runs(
            Scenario(
                (MIWG + "C.9.1.bpmn",),
                variables={"documentReferenceId": "D-1"},
                sends=(Send("MESSAGE_documentReceived", "D-2"),),
            ),
            ends_at="EndEvent_TalkedToCustomer",
            avoids=("ReceiveTask_WaitForDocument",),
            undelivered=("MESSAGE_documentReceived",),
            note="the correlation key (= documentReferenceId) does not match: the message waits unused",
        ),
        "no answer: daily reminders, then a call": Runs(
            Scenario((MIWG + "C.9.1.bpmn",), variables={"documentReferenceId": "D-1"}),
            ends_at="EndEvent_TalkedToCustomer",
            counts={"SendTask_SendReminderEmail": 6, "EndEvent_ReminderSent": 6, "UserTask_CallCustomer": 1},
            avoids=("ReceiveTask_WaitForDocument",),
            note="R6/P1D reminds on days 1-6 (non-interrupting); P7D interrupts on day 7",
        ),
    },
    MIWG + "C.9.2.bpmn": {
        "decided": Runs(
            Scenario((MIWG + "C.9.2.bpmn",), answers={"UserTask_DecideOnApplication": {"approved": True}}),
            ends_at="EndEvent_ManuallyDecided",
            variables={"approved": True},
        ),
        "no decision within 7 days": Runs(
            Scenario((MIWG + "C.9.2.bpmn",), answers={"UserTask_DecideOnApplication": "wait"}),
            state="failed",
            passes=(
                "StartTimerEvent_AcceleratedDecision", "UserTask_AccelerateDecision", "TimerEvent_Timeout"
            ),
            incident=("ErrorEndEvent_Timeout", "not caught"),
            note="started on its own, nothing catches its error 02: an incident (as in Zeebe)",
        ),
        "documents requested and received while deciding": Runs(
            Scenario(
                (MIWG + "C.9.2.bpmn", MIWG + "C.9.1.bpmn"),
                process="ManualCheck",
                variables={"documentReferenceId": "D-9", "documents": ["passport", "payslip"]},
                answers={"UserTask_DecideOnApplication": {"approved": True}},
                sends=(
                    Send("Message_DocumentRequested", "D-9"),
                    Send("MESSAGE_documentReceived", "D-9"),
                    Send("MESSAGE_documentReceived", "D-9"),
                ),
            ),
            counts={"EndEvent_ManuallyDecided": 1, "EndEvent_DocumentReceived": 1},
            passes=(
                "StartMessageEvent_DocumentRequested",
                "CallActivity_RequestDocument",
                "EndEvent_DocumentReceived",
            ),
            others={"requestDocument_en": ("completed", 2)},
            note="the non-interrupting event sub-process calls Document Request once per document",
        ),
    },
}
