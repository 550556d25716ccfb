"""Sales channels decide quality checks, allocation and delivery promises."""

import pytest

from conveyor.domain.channels import SalesChannel
from conveyor.domain.errors import InvalidChannel
from conveyor.domain.money import Money
from conveyor.domain.quality_check import QualityCheckDecision
from conveyor.errors import InvalidInput


def test_an_order_above_the_threshold_needs_a_quality_check_and_one_at_it_does_not():
    channel = SalesChannel("web", "Web shop", "EUR", quality_check_threshold=Money.parse("500", "EUR"))
    assert channel.requires_quality_check(Money.parse("500.01", "EUR"))
    assert not channel.requires_quality_check(Money.parse("500.00", "EUR"))
    assert not SalesChannel("pos", "Shop", "EUR").requires_quality_check(Money.parse("9999", "EUR"))


def test_a_channel_names_each_broken_field():
    with pytest.raises(InvalidChannel) as caught:
        SalesChannel("web shop", "", "EUR", process_id="1bad id",
                     quality_check_threshold=Money.parse("5", "USD"), promised_delivery_days=0)
    assert {e["path"] for e in caught.value.errors} == {
        "code", "name", "process", "quality_check_threshold", "promised_delivery_days"
    }


def test_a_quality_check_rejection_needs_a_reason():
    with pytest.raises(InvalidInput, match="reason: a rejection needs a reason"):
        QualityCheckDecision.from_form({"approved": False})
    rejected = QualityCheckDecision.from_form({"approved": False, "reason": " address looks fraudulent "})
    assert not rejected.approved and rejected.reason == "address looks fraudulent"
    assert QualityCheckDecision.from_form({"approved": True}).approved


def test_a_quality_check_decision_must_say_approve_or_reject():
    with pytest.raises(InvalidInput, match="approved: must be true"):
        QualityCheckDecision.from_form({"approved": "yes"})
