"""The sway bench: its synthetic trial is realistic and its figures are reported (not judged)."""

from __future__ import annotations

import numpy as np

from clinic_app.analysis.sway import sway_metrics
from clinic_app.bench import sway as bench


def test_synthetic_trial_is_deterministic_and_plausible() -> None:
    ap, ml = bench.synthetic_trial()
    again, _ = bench.synthetic_trial()
    assert ap.size == 60_000 and np.array_equal(ap, again)
    m = sway_metrics(ap, ml, bench.FS_HZ)
    assert 0.5 < m.rms_ap_cm < 1.5 and 0.3 < m.rms_ml_cm < 1.2  # single-leg sway size


def test_measure_reports_its_figures() -> None:
    figures = bench.measure(quick=True)
    assert set(figures) == {"sway_metrics_ms", "sway_metrics_cpu_ms", "sway_pipeline_ms"}
    assert all(value > 0 for value in figures.values())
