"""Instance ids grow with the start time (index locality) and stay unique; event ids are UUID v4 text."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from conveyor.engine.runtime.instance import new_instance_id
from conveyor.services.events import new_event_id


def test_instance_ids_sort_by_start_time_and_do_not_repeat_within_a_millisecond() -> None:
    start = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    later = [new_instance_id(start + timedelta(milliseconds=ms)) for ms in range(0, 5000, 7)]
    assert later == sorted(later)
    same_moment = {new_instance_id(start) for _ in range(10_000)}
    assert len(same_moment) == 10_000
    assert all(len(i) == 24 and int(i, 16) >= 0 for i in same_moment)
    assert {i[:12] for i in same_moment} == {f"{int(start.timestamp() * 1000):012x}"}


def test_event_ids_are_random_version_4_uuids_in_canonical_text() -> None:
    ids = [new_event_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and str(parsed) == text
