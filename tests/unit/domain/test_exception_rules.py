"""The register's plain rules: stemming, the classifier's confidence, settings validation, task access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conveyor.domain.auth import Principal, Role
from conveyor.domain.errors import InvalidConfigDocument
from conveyor.domain.exceptions import (
    CategoryRule,
    Classifier,
    can_move,
    read_exception_settings,
    stem,
    tokens,
)
from conveyor.domain.task_inbox import (
    TaskAccess,
    TaskAlreadyClaimed,
    TaskClaimedByOther,
    TaskForbidden,
    check_act_on_claimed,
    check_claim,
    parse_due,
)

RULES = [
    CategoryRule("quality", {"broken": 3, "stopped working": 4}, ("The lid broke off",)),
    CategoryRule("carrier", {"late": 3, "courier": 2}, ("Parcel came a week after the promise",)),
]


@pytest.mark.parametrize(
    ("word", "expected"),
    [("stopped", "stop"), ("boxes", "box"), ("working", "work"), ("deliveries", "delivery"), ("late", "late"),
     ("apartment", "apartment"), ("is", "is")],
)  # fmt: skip
def test_light_stemming(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_phrases_match_on_stemmed_words() -> None:
    assert tokens("It STOPPED working!") == ["it", "stop", "work"]
    result = Classifier(RULES).classify("It stopped working")
    assert result is not None and (result.category, result.confidence, result.method) == (
        "quality",
        1.0,
        "rules",
    )


def test_confidence_is_the_winning_share_of_the_score() -> None:
    result = Classifier(RULES).classify("Broken, and the courier was late")  # quality 3, carrier 3 + 2
    assert result is not None
    assert (result.category, result.confidence) == ("carrier", pytest.approx(5 / 8, abs=1e-4))
    assert dict(result.scores) == {"quality": 3.0, "carrier": 5.0}


def test_naive_bayes_answers_when_no_rule_matches_and_nothing_for_unknown_words() -> None:
    classifier = Classifier(RULES)
    result = classifier.classify("the parcel came after a week")
    assert result is not None and (result.category, result.method) == ("carrier", "naive_bayes")
    assert 0.5 < result.confidence <= 1.0 and sum(result.scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert classifier.classify("zzz qqq") is None and classifier.classify("   ") is None
    assert Classifier(RULES, min_confidence=0.99).confident("the parcel came after a week") is None


def test_status_moves() -> None:
    assert can_move("open", "in_progress") and can_move("resolved", "open") and can_move("open", "open")
    assert not can_move("closed", "open") and not can_move("resolved", "in_progress")


def test_settings_problems_are_all_named_by_path() -> None:
    with pytest.raises(InvalidConfigDocument) as caught:
        read_exception_settings({
            "categories": ["quality", "quality", "Bad Code"],
            "sla_hours": {"low": 1, "medium": 2, "high": 3, "urgent": 4},
            "types": [{"type": "PickShort", "category": "quality"}, {"type": "a.b", "category": "nope"}],
            "classifier": {"min_confidence": 2, "rules": [{"category": "quality"}]},
            "colour": "red",
        })  # fmt: skip
    paths = sorted(e["path"] for e in caught.value.errors)
    assert paths == sorted([
        "exceptions.categories[1].code", "exceptions.categories[2].code", "exceptions.sla_hours.urgent",
        "exceptions.sla_hours.critical", "exceptions.types[0].type", "exceptions.types[1].category",
        "exceptions.classifier.min_confidence", "exceptions.classifier.rules[0]", "exceptions.colour",
        "exceptions.default_category",
    ])  # fmt: skip


KIM = Principal(1, "kim", Role.WAREHOUSE, frozenset({"quality"}))
LEE = Principal(2, "lee", Role.SUPPORT, frozenset({"quality"}))
VIC = Principal(3, "vic", Role.VIEWER)
ADA = Principal(4, "ada", Role.ADMIN)


def test_task_access() -> None:
    open_task = TaskAccess(1, "created", None, ["quality"], [])
    check_claim(open_task, KIM)
    with pytest.raises(TaskForbidden):
        check_claim(open_task, VIC)
    check_claim(open_task, VIC, supervisors=["viewer"])  # a configured supervisor group may
    kims = TaskAccess(1, "claimed", "kim", ["quality"], [])
    with pytest.raises(TaskAlreadyClaimed):
        check_claim(kims, LEE)
    with pytest.raises(TaskClaimedByOther) as caught:
        check_act_on_claimed(kims, LEE, "completed")
    assert caught.value.extra["assignee"] == "kim"
    check_act_on_claimed(kims, ADA, "completed")
    nobodys = TaskAccess(2, "created", None, [], [])
    check_claim(nobodys, KIM)
    with pytest.raises(TaskForbidden):
        check_claim(nobodys, VIC)
    for_vic = TaskAccess(3, "created", None, ["finance"], ["vic"])
    check_claim(for_vic, VIC)


def test_due_dates() -> None:
    created = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert parse_due("PT4H", created) == created + timedelta(hours=4)
    assert parse_due("P1DT30M", created) == created + timedelta(days=1, minutes=30)
    assert parse_due("2026-11-03T10:00:00Z", created) == datetime(2026, 11, 3, 10, tzinfo=UTC)
    assert parse_due("2026-11-03", created) == datetime(2026, 11, 3, tzinfo=UTC)
    assert parse_due("tomorrow", created) is None and parse_due(None, created) is None


def test_a_task_the_model_assigned_is_its_assignees() -> None:
    assigned = TaskAccess(5, "created", "kim", ["quality"], [])
    check_claim(assigned, KIM)
    with pytest.raises(TaskAlreadyClaimed):
        check_claim(assigned, LEE)
    with pytest.raises(TaskClaimedByOther):
        check_act_on_claimed(assigned, LEE, "completed")
