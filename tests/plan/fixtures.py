"""Trial rows shaped like ``docs/data-model.md`` for plan and report tests."""

from __future__ import annotations

from typing import Any

Row = dict[str, Any]


def lunge(
    side: str, distances: list[float], angles: list[float], *, pain: int = 0,
    location: str = "none", site: str = "tibial_crest_15cm",
) -> list[Row]:  # fmt: skip
    """Three measured lunge trials of one side (plus one practice trial)."""
    rows: list[Row] = [
        {
            "protocol": "lunge", "side": side, "condition": None, "attempt": 1, "practice": 1,
            "status": "valid",
            "result": {"angle_deg": angles[0] - 2, "distance_cm": distances[0] - 0.5,
                       "heel_lift": False, "pain_nrs": 0, "pain_location": "none", "site": site},
        }
    ]  # fmt: skip
    for n, (d, a) in enumerate(zip(distances, angles), start=1):
        rows.append(
            {
                "protocol": "lunge", "side": side, "condition": None, "attempt": n,
                "practice": 0, "status": "valid",
                "result": {"angle_deg": a, "distance_cm": d, "hold_s": 2.0, "hold_sd_deg": 0.3,
                           "capture": "auto", "heel_lift": False, "pain_nrs": pain,
                           "pain_location": location, "site": site},
            }
        )  # fmt: skip
    return rows


def sway_metrics(v: float) -> dict[str, float]:
    """Plausible stored sway metrics of one trial with mean COP velocity ``v`` (cm/s)."""
    return {
        "n": 1000, "fs_hz": 100.0, "duration_s": 10.0, "path_length_cm": v * 10.0,
        "mean_velocity_cm_s": v, "mean_velocity_ap_cm_s": v * 0.7,
        "mean_velocity_ml_cm_s": v * 0.55, "mean_distance_cm": 0.6, "rms_distance_cm": 0.7,
        "range_ap_cm": 3.0, "range_ml_cm": 2.5, "ellipse_area_95_cm2": v * 1.4,
        "sway_area_cm2_s": 1.1, "mean_frequency_hz": 0.9, "mean_power_frequency_hz": 0.8,
    }  # fmt: skip


def balance(side: str, condition: str, velocities: list[float], *, failures: int = 0) -> list[Row]:
    """Measured balance trials: ``velocities`` valid ones, then ``failures`` failed ones."""
    rows: list[Row] = []
    for n, v in enumerate(velocities, start=1):
        metrics = sway_metrics(v)
        rows.append(
            {
                "protocol": "balance", "side": side, "condition": condition, "attempt": n,
                "practice": 0, "status": "valid",
                "result": {"planned_s": 10.0, "completed_s": 10.0, "time_to_failure_s": None,
                           "failure_reason": None, "body_mass_kg": 70.0, "metrics": metrics,
                           "processing": {"filter": "butterworth zero-lag 4th order 10 Hz",
                                          "fs_hz": 100.0, "trim_s": [0, 0]}},
            }
        )  # fmt: skip
    for k in range(failures):
        rows.append(
            {
                "protocol": "balance", "side": side, "condition": condition,
                "attempt": len(velocities) + k + 1, "practice": 0, "status": "failed",
                "result": {"planned_s": 10.0, "completed_s": 4.2, "time_to_failure_s": 4.2,
                           "failure_reason": "touchdown", "body_mass_kg": 70.0,
                           "metrics": None},
            }
        )  # fmt: skip
    return rows


def healthy_balance() -> list[Row]:
    """Both sides, all four conditions, symmetric and complete."""
    rows: list[Row] = []
    for side in ("left", "right"):
        for cond, v in (("eo_firm", 2.5), ("ec_firm", 6.0), ("eo_foam", 4.0), ("ec_foam", 9.0)):
            rows += balance(side, cond, [v, v + 0.1, v - 0.1])
    return rows
