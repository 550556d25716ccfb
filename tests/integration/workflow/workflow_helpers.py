"""Helpers for the workflow runtime tests: a hand-moved clock and draining due jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conveyor.services.workers import Worker


class Clock:
    """A clock tests move by hand, so timers and backoff never make a test wait."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def drain(worker: Worker, clock: Clock, *, hours: float = 0, rounds: int = 20) -> int:
    """Run every job due now (after moving the clock), until none is left; returns how many ran."""
    if hours:
        clock.advance(hours=hours)
    total = 0
    for _ in range(rounds):
        ran = worker.run_once(clock.now, limit=50)
        total += ran
        if ran == 0:
            break
    return total
