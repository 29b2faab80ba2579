"""Numbers as printed: rounded first, never "-0.0" (issue 14 §4)."""

from __future__ import annotations

import doctest

import pytest

from clinic_app import numbers
from clinic_app.analysis.verdicts import fmt
from clinic_app.numbers import MINUS, fixed, signed


@pytest.mark.parametrize("value", [-0.0, -0.04, -1e-12, 0.04, 0.0])
def test_anything_that_rounds_to_zero_prints_as_zero(value: float) -> None:
    assert fixed(value) == "0.0"
    assert fixed(value, 0) == "0"
    assert signed(value) == "0.0"


def test_real_values_keep_their_sign_and_decimals() -> None:
    assert fixed(-0.06) == "-0.1"
    assert fixed(-3.14159, 2, minus=MINUS) == "−3.14"
    assert signed(0.26) == "+0.3" and signed(-0.26) == "-0.3"
    assert fixed(None) == "—" and fixed(float("nan"), missing="–") == "–"
    assert signed(float("inf")) == "—"


def test_verdict_texts_use_it() -> None:
    assert fmt(-0.03, "cm") == "0.0 cm"
    assert fmt(-0.04, "deg") == "0.0°"


def test_the_examples_in_the_docstrings_hold() -> None:
    assert doctest.testmod(numbers).failed == 0


def test_the_live_trial_list_never_shows_minus_zero() -> None:
    from clinic_app.protocols.events import TrialOutcome
    from clinic_app.protocols.status import _trial_numbers

    lunge = TrialOutcome("lunge", "left", None, False, "valid",
                         {"angle_deg": -0.04, "distance_cm": -0.03}, None)  # fmt: skip
    assert _trial_numbers(lunge) == "0.0° · 0.0 cm"
