"""Cron timer cycles in the engine: a non-interrupting boundary fires at each cron time."""

from __future__ import annotations

from datetime import datetime, timedelta

from runtime_models import document, flows

from conftest import T0


def _reminder(cycle: str) -> str:
    return document(
        '<startEvent id="start"/><userTask id="approve"/>'
        '<boundaryEvent id="remind" attachedToRef="approve" cancelActivity="false"><timerEventDefinition>'
        f"<timeCycle>{cycle}</timeCycle></timerEventDefinition></boundaryEvent>"
        '<task id="nudge"/><endEvent id="end"/><endEvent id="nudged"/>'
        + flows("start -> approve -> end", "remind -> nudge -> nudged")
    )


def test_a_non_interrupting_cron_boundary_fires_at_each_cron_time(run):
    rt = run(_reminder("0 0 9,15 * * MON-FRI")).start()  # T0 is Monday 09:00
    assert rt.wait_at("remind").due == T0 + timedelta(hours=6)
    rt.fire("remind")
    assert rt.wait_at("remind").due == T0 + timedelta(days=1)
    rt.fire("remind")
    assert rt.path.count("nudge") == 2
    assert (
        rt.waiting == [("approve", "userTask"), ("remind", "timer")] or ("approve", "userTask") in rt.waiting
    )


def test_a_cron_boundary_skips_firings_missed_while_nothing_ran(run):
    rt = run(_reminder("0 0 * * * *")).start()  # every hour
    assert rt.wait_at("remind").due == T0 + timedelta(hours=1)
    rt.elapse(timedelta(hours=5, minutes=30)).fire("remind")
    assert rt.wait_at("remind").due == datetime(2026, 3, 2, 15, 0, tzinfo=T0.tzinfo)
    assert rt.path.count("nudge") == 1


def test_a_quartz_cron_with_a_weekend_gap(run):
    rt = run(_reminder("0 30 17 ? * FRI")).start()
    first = rt.wait_at("remind").due
    assert first is not None and first.strftime("%a %H:%M") == "Fri 17:30"
    rt.fire("remind")
    assert rt.wait_at("remind").due == first + timedelta(days=7)
