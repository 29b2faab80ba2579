"""JSON columns are parsed by orjson where it agrees with the standard library, and by
``json`` where it does not: ``from_json`` always returns exactly what ``json.loads`` does
(same values and the same types: an integer beyond 64 bits stays an integer)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from clinic_app.storage._util import from_json, to_json

_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.text(), st.sampled_from([2**63, -(2**63) - 1, 10**30, 1e-05, -0.0, 5e-324]),
)  # fmt: skip
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=20,
)


def _typed(value: Any) -> Any:
    """``value`` with each scalar's type beside it (1 == 1.0 == True, but not here)."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (type(value).__name__, repr(value))


@given(_VALUES, st.booleans())
@example({"a": 2**70}, False)
@example([float("nan")], False)  # written by an older json.dumps
def test_from_json_is_json_loads(value: Any, compact: bool) -> None:
    text = to_json(value) if compact else json.dumps(value)
    assert _typed(from_json(text)) == _typed(json.loads(text))


def test_texts_orjson_refuses_are_read_as_json_reads_them() -> None:
    for text in ('"\\ud800"', "[NaN, Infinity]", '{"a": 1, "a": 2}', "[1e400]"):
        assert _typed(from_json(text)) == _typed(json.loads(text))
    assert from_json(None) is None
