"""Session summaries: what is averaged, what is listed, what is kept apart."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clinic_app.analysis.session import TrialDataError, TrialRecord, summarize_session

SITE = "tibial_crest_15cm"


def lunge(side: str, attempt: int, angle: float, distance: float, **kw: Any) -> dict[str, Any]:
    result = {"angle_deg": angle, "distance_cm": distance, "hold_s": 2.1, "hold_sd_deg": 0.3,
              "capture": "auto", "heel_lift": False, "pain_nrs": kw.pop("pain", 0),
              "pain_location": kw.pop("where", "none"), "site": kw.pop("site", SITE)}  # fmt: skip
    row = {"id": kw.pop("id", None), "protocol": "lunge", "side": side, "condition": None,
           "attempt": attempt, "practice": kw.pop("practice", 0), "status": "valid",
           "invalid_reason": None, "result": json.dumps(result)}  # fmt: skip
    row.update(kw)
    return row


def balance(
    side: str, condition: str, attempt: int, velocity: float | None, **kw: Any
) -> dict[str, Any]:
    failed = velocity is None
    result = {"planned_s": 10.0, "completed_s": kw.pop("ttf", 10.0), "body_mass_kg": 70.0,
              "time_to_failure_s": kw.get("ttf_s"), "failure_reason": kw.pop("reason", None),
              "metrics": None if failed else {"mean_velocity_cm_s": velocity,
                                               "ellipse_area_95_cm2": velocity * 2},
              "processing": {"filter": "butterworth zero-lag 4th order 10 Hz"}}  # fmt: skip
    result["time_to_failure_s"] = kw.pop("ttf_s", None)
    row = {"protocol": "balance", "side": side, "condition": condition, "attempt": attempt,
           "practice": kw.pop("practice", 0), "status": "failed" if failed else "valid",
           "result": result}  # fmt: skip
    row.update(kw)
    return row


def test_lunge_summary_averages_valid_measured_trials_only() -> None:
    rows = [
        lunge("left", 1, 20.0, 5.0, practice=1, pain=4, where="anterior"),  # practice
        lunge("left", 1, 38.0, 9.0),
        lunge("left", 2, 40.0, 9.6, pain=2, where="posterior"),
        lunge("left", 3, 44.0, 11.0, status="invalid", invalid_reason="heel lifted"),
        lunge("left", 4, 42.0, 9.9),
        lunge("right", 1, 45.0, 12.0, id=9),
    ]
    s = summarize_session(rows, session_id=3, examiner="AB", site=SITE).lunge
    left = s["left"]
    assert (left.n_valid, left.n_not_valid, left.n_practice) == (3, 1, 1)
    assert left.angle_mean_deg == pytest.approx(40.0)
    assert left.angle_max_deg == 42.0 and left.angle_sd_deg == pytest.approx(2.0)
    assert left.distance_mean_cm == pytest.approx(9.5)
    assert left.pain_max_nrs == 4 and left.pain_locations == ("anterior", "posterior")
    assert left.site == SITE and len(left.trials) == 5 and left.trials[0].practice
    right = s["right"]
    assert right.n_valid == 1 and right.angle_sd_deg is None and right.trials[0].trial_id == 9


def test_angles_from_different_sites_are_not_averaged() -> None:
    rows = [lunge("left", 1, 40.0, 10.0), lunge("left", 2, 35.0, 10.2, site="tibial_tuberosity")]
    left = summarize_session(rows).lunge["left"]
    assert left.angle_mean_deg is None and left.site is None
    assert left.distance_mean_cm == pytest.approx(10.1)
    assert "different inclinometer sites" in left.notes[0]


def test_balance_summary_per_side_and_condition() -> None:
    rows = [
        balance("left", "ec_firm", 1, 6.0, practice=1),
        balance("left", "ec_firm", 2, 5.0),
        balance("left", "ec_firm", 3, None, ttf_s=4.2, reason="touchdown"),
        balance("left", "ec_firm", 4, 7.0),
        balance("left", "eo_firm", 1, 2.0),
        balance("right", "ec_firm", 1, None, ttf_s=2.5, reason="step"),
    ]
    s = summarize_session(rows).balance
    ec = s["left"]["ec_firm"]
    assert (ec.n_valid, ec.n_failed, ec.n_practice) == (2, 1, 1)
    assert ec.metrics_mean["mean_velocity_cm_s"] == pytest.approx(6.0)
    assert ec.metrics_sd["mean_velocity_cm_s"] == pytest.approx(2**0.5)
    assert ec.time_to_failure_s == (4.2,) and ec.failure_reasons == ("touchdown",)
    assert s["left"]["eo_firm"].metrics_sd == {}
    right = s["right"]["ec_firm"]
    assert right.n_valid == 0 and right.metrics_mean == {} and right.failure_reasons == ("step",)
    assert set(s) == {"left", "right"} and set(s["right"]) == {"ec_firm"}


def test_summary_is_json_ready() -> None:
    s = summarize_session([lunge("left", 1, 40.0, 10.0), balance("left", "eo_foam", 1, 3.0)])
    assert json.loads(json.dumps(s.to_dict()))["lunge"]["left"]["angle_mean_deg"] == 40.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"side": "middle"}, "side 'middle'"),
        ({"protocol": "hop"}, "protocol 'hop'"),
        ({"status": "done"}, "status 'done'"),
        ({"result": "{not json"}, "not valid JSON"),
        ({"result": "[1, 2]"}, "must be a JSON object"),
    ],
)
def test_rows_outside_the_data_model_are_named(change: dict[str, Any], message: str) -> None:
    row = lunge("left", 1, 40.0, 10.0, id=77)
    row.update(change)
    with pytest.raises(TrialDataError, match=rf"trial 77: .*{message}|trial 77: {message}"):
        summarize_session([row])


def test_balance_needs_a_condition() -> None:
    with pytest.raises(TrialDataError, match="condition"):
        TrialRecord("balance", "left", None, 1, False, "valid").check()


@pytest.mark.parametrize(
    "values", [[1.0, 2.0], [10.1, 10.3, 9.9], [1e6 + 0.1, 1e6 + 0.2, 1e6 + 0.4], [5.0, 5.0, 5.0]]
)
def test_sample_sd_matches_statistics_stdev(values: list[float]) -> None:
    """The float SD used for speed agrees with the exact-fraction one (ddof = 1)."""
    import statistics

    from clinic_app.analysis.summary import sample_sd

    assert sample_sd(values) == pytest.approx(statistics.stdev(values), rel=1e-12, abs=1e-12)
