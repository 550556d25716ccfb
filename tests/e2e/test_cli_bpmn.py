"""``conveyor bpmn check`` and ``conveyor bpmn run``: what a modeller sees in a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from conveyor.entrypoints.cli import app

NS = 'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'


def bpmn(body: str, roots: str = "", process_id: str = "order") -> str:
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<definitions {NS} id="d" targetNamespace="x">\n'
    return (f"{head}{roots}\n"
            f'<process id="{process_id}" isExecutable="true">\n{body}\n</process>\n</definitions>\n')


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def output_of(result: Result) -> dict:
    return json.loads(result.stdout)


@pytest.fixture
def bench(shared_dir: Path) -> Path:
    return shared_dir / "bench" / "bench-order.bpmn"


@pytest.fixture
def write(tmp_path: Path):
    def make(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return make


# --- check ------------------------------------------------------------------------------------------


def test_check_passes_a_good_model_with_exit_code_zero(bench):
    result = cli("bpmn", "check", str(bench))
    assert result.exit_code == 0
    assert "0 error(s)" in result.stdout


def test_check_lists_every_error_with_element_id_and_line_and_exits_one(write):
    bad = write("bad.bpmn", bpmn(
        '<startEvent id="start"/>\n<sequenceFlow id="f1" sourceRef="start" targetRef="nowhere"/>\n'
        '<exclusiveGateway id="gw"/>\n<sequenceFlow id="f2" sourceRef="gw" targetRef="ghost"/>'))
    result = cli("bpmn", "check", str(bad))
    assert result.exit_code == 1
    assert "nowhere" in result.stdout and "ghost" in result.stdout
    assert "bad.bpmn:" in result.stdout


def test_check_reports_json_when_asked(write):
    bad = write("bad.bpmn", bpmn('<startEvent id="start"/>\n<sequenceFlow id="f1" sourceRef="start" '
                                 'targetRef="nowhere"/>'))
    result = cli("bpmn", "check", "--format", "json", str(bad))
    data = output_of(result)
    assert result.exit_code == 1
    assert data["errors"] >= 1
    assert all({"element_id", "line", "hint", "message"} <= set(p) for p in data["problems"])
    assert any(p["line"] == 5 for p in data["problems"])


def test_check_of_an_unreadable_file_exits_two(tmp_path):
    result = cli("bpmn", "check", str(tmp_path / "missing.bpmn"))
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


# --- run --------------------------------------------------------------------------------------------


def test_run_completes_the_bench_order_through_the_quality_check(bench):
    result = cli("bpmn", "run", str(bench), "--var", "total=1500")
    assert result.exit_code == 0, result.stderr
    data = output_of(result)
    assert data["process"] == "order" and data["state"] == "completed"
    assert "qc" in data["path"] and data["path"][-1] == "end"
    assert data["variables"] == {"total": 1500}
    assert data["waiting"] == [] and data["incidents"] == []


def test_run_leaves_a_user_task_open_when_the_answers_say_wait(bench, write):
    answers = write("answers.json", json.dumps({"qc": "wait"}))
    result = cli("bpmn", "run", str(bench), "--var", "total=1500", "--answers", str(answers))
    data = output_of(result)
    assert result.exit_code == 0
    assert data["state"] == "waiting"
    assert data["waiting"] == [{"node": "qc", "kind": "userTask"}]


def test_run_fails_with_exit_one_when_a_failed_task_has_no_error_path(bench):
    result = cli("bpmn", "run", str(bench), "--var", "total=10", "--fail", "pay=CARD_DECLINED")
    data = output_of(result)
    assert result.exit_code == 1
    assert data["state"] == "failed"
    assert data["incidents"][0]["node"] == "pay"
    assert "CARD_DECLINED" in data["incidents"][0]["error"]


ERROR_PATH = bpmn(
    '<startEvent id="start"/><serviceTask id="pay"/><endEvent id="end"/>'
    '<boundaryEvent id="declined" attachedToRef="pay"><errorEventDefinition errorRef="e"/></boundaryEvent>'
    '<userTask id="review"/><endEvent id="refused"/>'
    '<sequenceFlow id="f1" sourceRef="start" targetRef="pay"/>'
    '<sequenceFlow id="f2" sourceRef="pay" targetRef="end"/>'
    '<sequenceFlow id="f3" sourceRef="declined" targetRef="review"/>'
    '<sequenceFlow id="f4" sourceRef="review" targetRef="refused"/>',
    roots='<error id="e" errorCode="CARD_DECLINED"/>',
)


def test_run_takes_the_error_path_of_a_failed_task_and_uses_per_visit_answers(write):
    model = write("pay.bpmn", ERROR_PATH)
    answers = write("a.json", json.dumps({"review": [{"note": "called the customer"}]}))
    result = cli("bpmn", "run", str(model), "--fail", "pay=CARD_DECLINED", "--answers", str(answers))
    data = output_of(result)
    assert result.exit_code == 0, result.stderr
    assert data["path"] == ["start", "declined", "review", "refused"]
    assert data["variables"] == {"note": "called the customer"}


def test_run_uses_mocked_service_task_output(bench):
    result = cli("bpmn", "run", str(bench), "--var", "total=10", "--mock", 'reserve={"warehouse": "W2"}')
    data = output_of(result)
    assert data["state"] == "completed"
    assert data["variables"] == {"total": 10, "warehouse": "W2"}


MESSAGE_MODEL = bpmn(
    '<startEvent id="start"/><receiveTask id="wait_payment" messageRef="m"/><endEvent id="end"/>'
    '<sequenceFlow id="f1" sourceRef="start" targetRef="wait_payment"/>'
    '<sequenceFlow id="f2" sourceRef="wait_payment" targetRef="end"/>',
    roots='<message id="m" name="payment.received"/>',
)


def test_run_delivers_a_message_once_something_waits_for_it(write):
    model = write("msg.bpmn", MESSAGE_MODEL)
    result = cli("bpmn", "run", str(model), "--message", 'payment.received={"amount": 12.5}')
    data = output_of(result)
    assert data["state"] == "completed"
    assert data["variables"] == {"amount": 12.5}


def test_run_without_the_message_reports_what_it_waits_for(write):
    model = write("msg.bpmn", MESSAGE_MODEL)
    data = output_of(cli("bpmn", "run", str(model)))
    assert data["state"] == "waiting"
    assert data["waiting"] == [{"node": "wait_payment", "kind": "receiveTask"}]


TIMER_MODEL = bpmn(
    '<startEvent id="start"/><userTask id="approve"/><endEvent id="end"/>'
    '<boundaryEvent id="late" attachedToRef="approve"><timerEventDefinition><timeDuration>P2D</timeDuration>'
    '</timerEventDefinition></boundaryEvent><task id="remind"/><endEvent id="reminded"/>'
    '<sequenceFlow id="f1" sourceRef="start" targetRef="approve"/>'
    '<sequenceFlow id="f2" sourceRef="approve" targetRef="end"/>'
    '<sequenceFlow id="f3" sourceRef="late" targetRef="remind"/>'
    '<sequenceFlow id="f4" sourceRef="remind" targetRef="reminded"/>'
)


def test_run_moves_a_simulated_clock_to_the_next_timer_when_nothing_else_can_move(write):
    model = write("timer.bpmn", TIMER_MODEL)
    answers = write("a.json", json.dumps({"approve": "wait"}))
    data = output_of(cli("bpmn", "run", str(model), "--answers", str(answers)))
    assert data["state"] == "completed"
    assert data["path"] == ["start", "late", "remind", "reminded"]


def test_run_refuses_an_invalid_model_with_exit_two_and_every_problem_on_stderr(write):
    model = write("bad.bpmn", bpmn('<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" '
                                  'targetRef="nowhere"/><task id="t"><incoming>ghost</incoming></task>'))
    result = cli("bpmn", "run", str(model))
    assert result.exit_code == 2
    assert "nowhere" in result.stderr
    assert result.stdout == ""


def test_run_refuses_malformed_arguments_with_exit_two(bench):
    result = cli("bpmn", "run", str(bench), "--var", "total")
    assert result.exit_code == 2
    assert "--var" in result.stderr


def test_run_starts_a_message_start_process_with_the_given_message(write):
    model = write("start.bpmn", bpmn(
        '<startEvent id="start"><messageEventDefinition messageRef="m"/></startEvent><endEvent id="end"/>'
        '<sequenceFlow id="f1" sourceRef="start" targetRef="end"/>',
        roots='<message id="m" name="order.created"/>'))
    data = output_of(cli("bpmn", "run", str(model), "--message", 'order.created={"orderId": 7}'))
    assert data["state"] == "completed"
    assert data["variables"] == {"orderId": 7}
