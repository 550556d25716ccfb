"""What callers of the runtime API are told when they address something that is not there."""

from __future__ import annotations

import pytest
from runtime_models import document, flows

from conftest import T0, library_of
from conveyor.engine.errors import InstanceError, NotWaiting
from conveyor.engine.runtime import Handlers, Instance, UnknownProcess

SIMPLE = document('<startEvent id="start"/><userTask id="t"/><endEvent id="end"/>'
                  + flows("start -> t -> end"))


def test_completing_a_task_the_instance_does_not_wait_for_says_so():
    instance = Instance.start(library_of(SIMPLE), "p", now=T0, instance_id="i1")
    with pytest.raises(NotWaiting, match="no userTask wait 999"):
        instance.complete_user_task(999, now=T0)


def test_an_ended_instance_accepts_no_more_operations():
    instance = Instance.start(library_of(SIMPLE), "p", now=T0, instance_id="i1")
    instance.cancel(now=T0)
    assert not instance.running
    with pytest.raises(InstanceError, match="cancelled"):
        instance.set_variables({"x": 1}, now=T0)


def test_starting_an_unknown_process_or_version_names_what_is_loaded():
    library = library_of(SIMPLE)
    with pytest.raises(UnknownProcess, match="loaded: p"):
        Instance.start(library, "nope", now=T0)
    with pytest.raises(UnknownProcess, match=r"versions: \[1\]"):
        Instance.start(library, "p", version=7, now=T0)


def test_starting_by_a_message_no_process_starts_with_is_refused():
    with pytest.raises(NotWaiting, match=r"order\.created"):
        Instance.start_by_message(library_of(SIMPLE), "order.created", now=T0)


def test_a_message_nobody_waits_for_is_not_taken():
    instance = Instance.start(library_of(SIMPLE), "p", now=T0, instance_id="i1")
    assert instance.deliver_message("anything", None, None, now=T0) is False


def test_a_handler_needs_a_task_type():
    with pytest.raises(InstanceError, match="task type"):
        Handlers().register("", lambda ctx: None)
