"""Sequence flows and gateways: exclusive, parallel, inclusive (event-based: see events tests)."""

from __future__ import annotations

from pathlib import Path

from runtime_models import document, flows, tasks

BENCH = Path(__file__).resolve().parents[4] / ".." / "shared" / "bench" / "bench-order.bpmn"


def test_a_sequence_runs_its_tasks_in_order_and_completes(run):
    rt = run(document(tasks("a", "b", "c") + '<startEvent id="start"/><endEvent id="end"/>'
                      + flows("start -> a -> b -> c -> end"))).start({"x": 1})
    assert rt.state == "completed"
    assert rt.path == ["start", "a", "b", "c", "end"]
    assert rt.variables == {"x": 1}


def _choice(default: bool = True) -> str:
    default_attr = ' default="f_gw_low"' if default else ""
    return document(
        f'<startEvent id="start"/><exclusiveGateway id="gw"{default_attr}/>'
        + tasks("high", "mid", "low") + '<endEvent id="end"/>'
        + flows("start -> gw", "gw -> high: total > 1000", "gw -> mid: total > 100", "gw -> low",
                "high -> end", "mid -> end", "low -> end")
    )


def test_exclusive_gateway_takes_the_first_flow_whose_condition_holds(run):
    rt = run(_choice()).start({"total": 5000})
    assert rt.path == ["start", "gw", "high", "end"]


def test_exclusive_gateway_takes_the_default_when_no_condition_matches(run):
    rt = run(_choice()).start({"total": 50})
    assert rt.path == ["start", "gw", "low", "end"]
    assert rt.state == "completed"


def test_exclusive_gateway_without_match_or_default_is_an_incident_that_a_retry_resolves(run):
    body = document(
        '<startEvent id="start"/><exclusiveGateway id="gw"/>' + tasks("high") + '<endEvent id="end"/>'
        + flows("start -> gw", "gw -> high: total > 1000", "high -> end")
    )
    rt = run(body).start({"total": 5})
    assert rt.state == "failed"
    [(node, error)] = rt.incidents
    assert node == "gw" and "no condition matched" in error
    rt.set(total=2000).retry("gw")
    assert rt.state == "completed"
    assert rt.path == ["start", "gw", "high", "end"]


def test_parallel_gateway_runs_every_branch_and_joins_once(run):
    body = document(
        '<startEvent id="start"/><parallelGateway id="fork"/><parallelGateway id="join"/>'
        + tasks("a", "b", "c", "after") + '<endEvent id="end"/>'
        + flows("start -> fork", "fork -> a -> join", "fork -> b -> join", "fork -> c -> join",
                "join -> after -> end")
    )
    rt = run(body).start()
    assert rt.state == "completed"
    assert sorted(rt.path[2:5]) == ["a", "b", "c"]
    assert rt.path.count("join") == 1
    assert rt.path.count("after") == 1


def test_parallel_join_waits_for_a_branch_that_is_still_at_a_user_task(run):
    body = document(
        '<startEvent id="start"/><parallelGateway id="fork"/><parallelGateway id="join"/>'
        + tasks("a") + '<userTask id="approve"/><endEvent id="end"/>'
        + flows("start -> fork", "fork -> a -> join", "fork -> approve -> join", "join -> end")
    )
    rt = run(body).start()
    assert rt.state == "active"
    assert "join" not in rt.path
    rt.complete("approve")
    assert rt.state == "completed"
    assert rt.path.count("join") == 1


def _inclusive() -> str:
    return document(
        '<startEvent id="start"/><inclusiveGateway id="split" default="f_split_none"/>'
        '<inclusiveGateway id="merge"/>'
        + tasks("gift", "insure", "none") + '<userTask id="sign"/><endEvent id="end"/>'
        + flows("start -> split", "split -> gift: gift", "split -> insure: total > 100",
                "split -> sign: total > 1000", "split -> none",
                "gift -> merge", "insure -> merge", "sign -> merge", "none -> merge", "merge -> end")
    )


def test_inclusive_gateway_takes_every_matching_branch_and_joins_them_once(run):
    rt = run(_inclusive()).start({"gift": True, "total": 500})
    assert rt.state == "completed"
    assert set(rt.path) >= {"gift", "insure"}
    assert "none" not in rt.path and "sign" not in rt.path
    assert rt.path.count("merge") == 1


def test_inclusive_gateway_takes_the_default_when_nothing_matches(run):
    rt = run(_inclusive()).start({"gift": False, "total": 5})
    assert rt.path == ["start", "split", "none", "merge", "end"]


def test_inclusive_join_waits_only_for_branches_that_can_still_arrive(run):
    rt = run(_inclusive()).start({"gift": True, "total": 5000})
    assert rt.state == "active"
    assert "merge" not in rt.path
    assert rt.waiting == [("sign", "userTask")]
    rt.complete("sign")
    assert rt.state == "completed"
    assert rt.path.count("merge") == 1


def test_an_activity_with_conditional_outgoing_flows_takes_those_that_hold(run):
    body = document(
        '<startEvent id="start"/><task id="t" default="f_t_c"/>' + tasks("a", "b", "c")
        + '<endEvent id="e1"/>'
        + flows("start -> t", "t -> a: x = 1", "t -> b: x = 1", "t -> c", "a -> e1", "b -> e1", "c -> e1")
    )
    rt = run(body).start({"x": 1})
    assert sorted(n for n in rt.path if n in "abc") == ["a", "b"]
    assert rt.state == "completed"


def test_the_benchmark_order_model_runs_the_quality_check_for_big_orders(run):
    if not BENCH.exists():
        import pytest

        pytest.skip("../shared/bench is not present in this checkout")
    rt = run(BENCH.read_text()).start({"total": 1500})
    assert rt.waiting == [("qc", "userTask")]
    rt.complete("qc")
    assert rt.state == "completed"
    assert rt.path[:5] == ["start", "pay", "reserve", "gw", "qc"]
    assert rt.path[-2:] == ["ship", "end"]
    if rt.roundtrip:
        assert max(rt.sizes) < 400


def test_an_inclusive_join_inside_a_loop_does_not_wait_for_tokens_that_must_pass_it_first(run):
    # loop { fork -> (or-split -> a | b -> or-join) + approve -> join } : the token waiting at
    # `approve` can only reach the inclusive join by going round the loop, so it must not block it
    body = document(
        '<startEvent id="start"/><exclusiveGateway id="again"/><parallelGateway id="fork"/>'
        '<parallelGateway id="join"/><inclusiveGateway id="split" default="f_split_a"/>'
        '<inclusiveGateway id="merge"/><exclusiveGateway id="loop" default="f_loop_end"/>'
        + tasks("a", "b") + '<userTask id="approve"/><endEvent id="end"/>'
        + flows("start -> again -> fork", "fork -> split", "fork -> approve -> join",
                "split -> a -> merge", "split -> b: go", "b -> merge", "merge -> join", "join -> loop",
                "loop -> again: rounds > 1", "loop -> end")
    )
    rt = run(body).start({"go": True, "rounds": 1})
    assert rt.path.count("merge") == 1
    rt.complete("approve")
    assert rt.state == "completed"
