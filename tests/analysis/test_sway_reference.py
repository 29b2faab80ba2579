"""Every Prieto metric against a literal, loop-by-loop implementation of its definition."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clinic_app.analysis.sway import JSON_KEYS, sway_metrics


def _literal(ap: list[float], ml: list[float], fs: float) -> dict[str, float]:
    n = len(ap)
    mean_ap, mean_ml = sum(ap) / n, sum(ml) / n
    a = [v - mean_ap for v in ap]
    m = [v - mean_ml for v in ml]
    rd = [math.hypot(x, y) for x, y in zip(a, m)]
    path = sum(math.hypot(a[i + 1] - a[i], m[i + 1] - m[i]) for i in range(n - 1))
    t = n / fs
    mdist = sum(rd) / n
    rdist = math.sqrt(sum(r * r for r in rd) / n)
    s_rd = math.sqrt(rdist**2 - mdist**2)
    sway_area = sum(abs(a[i + 1] * m[i] - a[i] * m[i + 1]) for i in range(n - 1)) / (2 * t)
    best = max(math.hypot(a[i] - a[j], m[i] - m[j]) for i in range(n) for j in range(i))
    return {
        "path_length_cm": path,
        "mean_velocity_cm_s": path / t,
        "mean_velocity_ap_cm_s": sum(abs(a[i + 1] - a[i]) for i in range(n - 1)) / t,
        "mean_velocity_ml_cm_s": sum(abs(m[i + 1] - m[i]) for i in range(n - 1)) / t,
        "mean_distance_cm": mdist,
        "rms_distance_cm": rdist,
        "range_ap_cm": max(a) - min(a),
        "range_ml_cm": max(m) - min(m),
        "range_cm": best,
        "sway_area_cm2_s": sway_area,
        "confidence_circle_area_95_cm2": math.pi * (mdist + 1.6448536269514722 * s_rd) ** 2,
        "mean_frequency_hz": (path / t) / (2 * math.pi * mdist),
        "mean_distance_ap_cm": sum(abs(v) for v in a) / n,
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_equal_their_literal_definitions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ap = np.cumsum(rng.normal(0, 0.1, 300)) + 3.0
    ml = np.cumsum(rng.normal(0, 0.07, 300)) - 1.0
    m = sway_metrics(ap, ml, 50.0).to_json()
    for key, value in _literal(ap.tolist(), ml.tolist(), 50.0).items():
        assert m[key] == pytest.approx(value, rel=1e-9), key


def test_json_keys_come_first_in_design_order() -> None:
    rng = np.random.default_rng(5)
    m = sway_metrics(rng.normal(size=100), rng.normal(size=100), 100.0).to_json()
    assert list(m)[: len(JSON_KEYS)] == list(JSON_KEYS)
    assert all(isinstance(v, int | float) for v in m.values())
