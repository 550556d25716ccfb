"""Multi-instance (parallel, sequential, cardinality, completion condition) and standard loops."""

from __future__ import annotations

from runtime_models import document, flows

from conveyor.engine.runtime import Handlers


def _multi(marker: str, task: str = "serviceTask", extra: str = "") -> str:
    inner = f"<{task} id=\"each\">{extra}{marker}</{task}>"
    body = '<startEvent id="start"/>' + inner + '<endEvent id="end"/>'
    return document(body + flows("start -> each -> end"))


def _zeebe(sequential: bool, output: bool = True, condition: str = "") -> str:
    out = ' outputCollection="labels" outputElement="=label"' if output else ""
    done = f"<completionCondition>{condition}</completionCondition>" if condition else ""
    flag = "true" if sequential else "false"
    return (f'<multiInstanceLoopCharacteristics isSequential="{flag}"><extensionElements>'
            f'<zeebe:loopCharacteristics inputCollection="=lines" inputElement="line"{out}/>'
            f"</extensionElements>{done}</multiInstanceLoopCharacteristics>")


TYPE = '<extensionElements><zeebe:taskDefinition type="label"/></extensionElements>'


def _labeller(seen: list) -> Handlers:
    handlers = Handlers()

    def label(ctx):
        seen.append((ctx.variables["line"], ctx.variables["loopCounter"]))
        return {"label": f"L-{ctx.variables['line']}"}

    handlers.register("label", label)
    return handlers


def test_a_parallel_multi_instance_runs_once_per_element_and_collects_outputs_in_input_order(run):
    seen: list = []
    rt = run(_multi(_zeebe(False), extra=TYPE), handlers=_labeller(seen)).start({"lines": ["a", "b", "c"]})
    assert rt.state == "completed"
    assert sorted(seen) == [("a", 1), ("b", 2), ("c", 3)]
    assert rt.variables["labels"] == ["L-a", "L-b", "L-c"]
    assert rt.path.count("each") == 4  # three iterations and the body


def test_a_sequential_multi_instance_waits_for_each_iteration_before_the_next(run):
    rt = run(_multi(_zeebe(True, output=False), task="userTask")).start({"lines": [1, 2]})
    assert rt.waiting == [("each", "userTask")]
    rt.complete("each", {"note": "first"})
    assert rt.waiting == [("each", "userTask")]
    rt.complete("each")
    assert rt.state == "completed"


def test_a_parallel_user_task_multi_instance_completes_in_any_order(run):
    rt = run(_multi(_zeebe(False, output=False), task="userTask")).start({"lines": [1, 2, 3]})
    waits = [w for w in rt.i.waits if w.kind == "userTask"]
    assert len(waits) == 3
    for wait in reversed(waits):
        rt.do(lambda i, w=wait: i.complete_user_task(w.id, None, now=rt.now))
    assert rt.state == "completed"


def test_a_completion_condition_cancels_the_remaining_iterations(run):
    marker = _zeebe(False, output=False, condition="=nrOfCompletedInstances >= 2")
    rt = run(_multi(marker, task="userTask")).start({"lines": [1, 2, 3, 4]})
    waits = [w for w in rt.i.waits if w.kind == "userTask"]
    for wait in waits[:2]:
        rt.do(lambda i, w=wait: i.complete_user_task(w.id, None, now=rt.now))
    assert rt.state == "completed"
    assert rt.cancelled.count("each") == 2


def test_a_multi_instance_over_an_empty_collection_completes_at_once(run):
    rt = run(_multi(_zeebe(False), extra=TYPE), handlers=_labeller([])).start({"lines": []})
    assert rt.state == "completed"
    assert rt.variables["labels"] == []


def test_a_cardinality_multi_instance_runs_that_many_times(run):
    marker = "<multiInstanceLoopCharacteristics><loopCardinality>3</loopCardinality>" \
             "</multiInstanceLoopCharacteristics>"
    counters = []
    handlers = Handlers()
    handlers.register("label", lambda ctx: counters.append(ctx.variables["loopCounter"]))
    rt = run(_multi(marker, extra=TYPE), handlers=handlers).start()
    assert sorted(counters) == [1, 2, 3]
    assert rt.state == "completed"


def test_a_multi_instance_over_something_that_is_not_a_list_is_an_incident(run):
    rt = run(_multi(_zeebe(False), extra=TYPE), handlers=_labeller([])).start({"lines": 5})
    [(node, error)] = rt.incidents
    assert node == "each" and "not a list" in error


def test_a_multi_instance_sub_process_gives_each_iteration_its_own_scope(run):
    body = document(
        '<startEvent id="start"/><subProcess id="each">' + _zeebe(False, output=True)
        + '<startEvent id="s"/><scriptTask id="mk" scriptFormat="feel" camunda:resultVariable="label">'
        '<script>"S-" + line</script></scriptTask><endEvent id="e"/>' + flows("s -> mk -> e")
        + '</subProcess><endEvent id="end"/>' + flows("start -> each -> end"))
    rt = run(body).start({"lines": ["x", "y"]})
    assert rt.state == "completed", rt.incidents
    assert rt.variables["labels"] == ["S-x", "S-y"]
