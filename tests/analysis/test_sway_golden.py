"""Golden tests: our sway metrics equal the metrics the balance data set's authors published.

Conventions (``tests/data/balance/README.md``): whole 60 s, raw COP in cm, F-based prediction
ellipse, velocity = path / (n/fs), Welch n/2 segments with n/4 overlap, PSD-weighted mean
power frequency. A relative tolerance of 1e-6 tells these apart from the near-miss variants.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from scipy import signal, stats

from clinic_app.analysis.sway import prediction_ellipse_q, sway_metrics, welch_psd
from clinic_app.exchange.recordings import read_recording
from tests.conftest import TEST_DATA

BALANCE = TEST_DATA / "balance"
with (BALANCE / "reference_metrics.tsv").open(encoding="utf-8") as _fh:
    REFERENCE = list(csv.DictReader(_fh, delimiter="\t"))

RTOL = 1e-6


@pytest.mark.parametrize("row", REFERENCE, ids=[r["trial"] for r in REFERENCE])
def test_published_metrics_are_reproduced(row: dict[str, str]) -> None:
    rec = read_recording(BALANCE / f"{row['trial']}.txt")
    m = sway_metrics(rec.cop_ap_cm, rec.cop_ml_cm, rec.fs_hz)
    assert m.n == 6000 and m.fs_hz == 100.0 and m.duration_s == 60.0
    assert m.ellipse_area_95_cm2 == pytest.approx(float(row["COParea_cm2"]), rel=RTOL)
    assert m.mean_velocity_cm_s == pytest.approx(float(row["COPvelo_cm_s"]), rel=RTOL)
    assert m.mean_power_frequency_hz == pytest.approx(float(row["COPmfreq_hz"]), rel=RTOL)


@pytest.mark.parametrize("row", REFERENCE, ids=[r["trial"] for r in REFERENCE])
def test_near_miss_conventions_fail_the_tolerance(row: dict[str, str]) -> None:
    """χ² instead of F, or (n−1)/fs instead of n/fs, must not pass: the test can fail."""
    rec = read_recording(BALANCE / f"{row['trial']}.txt")
    m = sway_metrics(rec.cop_ap_cm, rec.cop_ml_cm, rec.fs_hz)
    n = m.n
    chi2_area = m.ellipse_area_95_cm2 * float(stats.chi2.ppf(0.95, 2)) / prediction_ellipse_q(n)
    assert abs(chi2_area / float(row["COParea_cm2"]) - 1) > 10 * RTOL
    velocity_n_minus_1 = m.path_length_cm / ((n - 1) / m.fs_hz)
    assert abs(velocity_n_minus_1 / float(row["COPvelo_cm_s"]) - 1) > 10 * RTOL


def test_prediction_ellipse_q_matches_its_formula() -> None:
    for n in (10, 250, 6000, 60000):
        f = stats.f.ppf(0.95, 2, n - 2)
        assert prediction_ellipse_q(n) == pytest.approx(
            f * (n - 1) * 2 * (n + 1) / (n * (n - 2)), rel=1e-12
        )
    # Large n: the prediction ellipse tends to the χ² form (5.991).
    assert prediction_ellipse_q(10**6) == pytest.approx(stats.chi2.ppf(0.95, 2), rel=1e-4)


@pytest.mark.parametrize("n", [6000, 6001, 60000, 101])
def test_welch_psd_equals_scipy_welch(n: int) -> None:
    rng = np.random.default_rng(n)
    x = np.cumsum(rng.normal(size=(2, n)), axis=1)
    f, p = welch_psd(x, 100.0)
    f_ref, p_ref = signal.welch(
        x, fs=100.0, window="hann", nperseg=n // 2, noverlap=n // 4, nfft=n // 2,
        detrend="constant", axis=-1,
    )  # fmt: skip
    np.testing.assert_allclose(f, f_ref, rtol=1e-12)
    np.testing.assert_allclose(p, p_ref, rtol=1e-9, atol=1e-12 * float(p_ref.max()))


def test_ellipse_axes_and_orientation_are_consistent() -> None:
    rec = read_recording(BALANCE / "BDS00001.txt")
    m = sway_metrics(rec.cop_ap_cm, rec.cop_ml_cm, rec.fs_hz)
    assert math.pi * m.ellipse_semi_major_cm * m.ellipse_semi_minor_cm == pytest.approx(
        m.ellipse_area_95_cm2, rel=1e-12
    )
    assert m.ellipse_semi_major_cm >= m.ellipse_semi_minor_cm
    # Quiet stance sways mostly antero-posteriorly: the major axis is near the AP axis (90°).
    assert abs(m.ellipse_angle_deg) > 60
