"""The hot path's JSON text: the same JSON values as the standard library, faster."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conveyor import jsontext
from conveyor.engine.runtime.values import UnsaveableValue, encode

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_the_text_reads_back_as_the_standard_library_writes_it(value: object) -> None:
    assert json.loads(jsontext.dumps(value)) == json.loads(json.dumps(value))


def test_what_orjson_refuses_is_written_by_the_standard_library() -> None:
    assert jsontext.dumps({"n": 2**70}) == '{"n":1180591620717411303424}'
    assert jsontext.dumps({1: "x"}) == '{"1":"x"}'
    assert jsontext.dumps({"é": "ü"}) == '{"é":"ü"}'


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_the_engine_refuses_numbers_json_cannot_hold_naming_the_variable(bad: float) -> None:
    with pytest.raises(UnsaveableValue, match=r"'score'.*JSON cannot hold"):
        encode({"ok": 1.5, "score": bad}, "score")
