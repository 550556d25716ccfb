"""Properties that hold between hit policies for any table and input (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from dmn_builders import ANY, definitions, table_decision
from hypothesis import given, settings
from hypothesis import strategies as st

from conveyor.engine.dmn import Aggregation, HitPolicy, evaluate_decision

cells = st.sampled_from(["a", "b", "c", ANY])
rules = st.lists(st.tuples(st.lists(cells, min_size=1, max_size=1), st.integers(0, 50)), max_size=8)


def value(rows, policy, x, aggregation=None):
    decision = table_decision(
        [(ins, [Decimal(out)]) for ins, out in rows], hit_policy=policy, aggregation=aggregation
    )
    return evaluate_decision(definitions(decision), "d", {"x": x}).value


@settings(max_examples=60, deadline=None)
@given(rows=rules, x=st.sampled_from(["a", "b", "c", "z"]))
def test_first_is_the_head_of_rule_order_and_count_is_its_length(rows, x):
    ordered = value(rows, HitPolicy.RULE_ORDER, x) or []
    assert value(rows, HitPolicy.FIRST, x) == (ordered[0] if ordered else None)
    assert value(rows, HitPolicy.COLLECT, x, Aggregation.COUNT) == len(ordered)
    total = value(rows, HitPolicy.COLLECT, x, Aggregation.SUM)
    assert total == (sum(ordered) if ordered else None)
    if ordered:
        assert value(rows, HitPolicy.COLLECT, x, Aggregation.MIN) == min(ordered)
        assert value(rows, HitPolicy.COLLECT, x, Aggregation.MAX) == max(ordered)
