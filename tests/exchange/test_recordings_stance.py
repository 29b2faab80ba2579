"""A recording is a balance trial only if it is one: long enough, a load that holds, one leg.
Refusals speak about the file; the stance found is said in the notes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clinic_app.analysis.norms import load_norms
from clinic_app.exchange.recordings import BalanceRules, RecordingError, read_balance_trial
from clinic_app.exchange.recordings.stance import balance_trial
from tests.exchange.c3d_fixtures import PlateSpec, stance, write_lab_c3d

FS = 1000.0


def _with_load(path: Path, load: np.ndarray, others: list[np.ndarray] | None = None) -> Path:
    spec = stance(load.size)
    spec.load_n = load
    plates = [spec]
    for i, other in enumerate(others or []):
        plates.append(PlateSpec(other, np.zeros(load.size), np.zeros(load.size)))
        plates[-1].centre_mm = (700.0 * (i + 1), 0.0)
    return write_lab_c3d(path, plates)


def test_rules_come_from_the_norms() -> None:
    norms = load_norms()
    rules = BalanceRules.from_norms(norms)
    assert rules.min_duration_s == norms.value("balance.trial_s") == 10.0
    assert rules.hold_fraction == norms.value("balance.touchdown_force_fraction")
    assert rules.dip_min_s == norms.value("balance.touchdown_min_s")
    assert rules.min_load_n == norms.value("balance.min_load_n")


def test_stepping_on_and_off_is_left_out_and_said(tmp_path: Path) -> None:
    n = 15000
    load = np.full(n, 690.0)
    load[:1500] = np.linspace(25, 690, 1500)  # 1.5 s stepping on, the other foot still down
    load[-800:] = np.linspace(690, 25, 800)
    rec = read_balance_trial(_with_load(tmp_path / "on-off.c3d", load))
    assert 12.5 < rec.n / FS < 13.0
    # The stance starts when the load reaches 90 % of its steady 690 N (621 N): 1.344 s.
    assert rec.start_s == pytest.approx(1.5 * (621 - 25) / (690 - 25), abs=0.002)
    assert rec.t_s[0] == 0.0 and rec.fz_n is not None and rec.fz_n.min() >= 0.9 * 690
    note = rec.notes[-1]
    assert note.startswith("the stance is ") and "s of the recording on the force plate" in note
    assert "steps on and off" in note


def test_a_touchdown_in_the_middle_is_refused(tmp_path: Path) -> None:
    load = np.full(25000, 700.0)
    load[12000:12300] = 380.0  # 0.3 s with the lifted foot on the floor
    with pytest.raises(
        RecordingError,
        match=r"td\.c3d: not a valid balance trial: at 12\.00 s of the recording the load on "
        r"the force plate falls to 380 N \(54 % of its steady 700 N\) for 0\.30 s: the lifted "
        r"foot touched down or the patient stepped",
    ):
        read_balance_trial(_with_load(tmp_path / "td.c3d", load))


def test_a_brief_dip_is_noise_not_a_touchdown(tmp_path: Path) -> None:
    load = np.full(12000, 700.0)
    load[6000:6030] = 500.0  # 30 ms, shorter than balance.touchdown_min_s
    rec = read_balance_trial(_with_load(tmp_path / "dip.c3d", load))
    assert rec.n == 12000


def test_both_feet_on_two_plates_is_not_single_leg(tmp_path: Path) -> None:
    load = np.full(12000, 350.0)
    path = _with_load(tmp_path / "two.c3d", load, [np.full(12000, 340.0)])
    with pytest.raises(
        RecordingError,
        match=r"two\.c3d: not a single-leg balance trial: while plate \d of 2 carries the stance "
        r"\(0\.00–12\.00 s of the recording\), plate \d also carries up to 3\d\d N, so both "
        r"feet were on the plates",
    ):
        read_balance_trial(path)


def test_a_load_that_does_not_hold_is_not_a_balance_trial(tmp_path: Path) -> None:
    t = np.arange(20000) / FS
    load = 400 + 300 * np.sin(2 * np.pi * 0.25 * t)  # sit-to-stand, over and over
    with pytest.raises(RecordingError) as caught:
        read_balance_trial(_with_load(tmp_path / "sts.c3d", load))
    message = str(caught.value)
    assert message.startswith("sts.c3d: not a balance trial: the force plate carries a load for")
    assert "but it does not hold steady: 90 % of the time it lies between" in message
    assert "its longest steady stretch" in message


def test_too_short_everywhere_and_csv_without_force(tmp_path: Path) -> None:
    with pytest.raises(
        RecordingError,
        match=r"the force plate carries a load for only 4\.20 s .*needs at least 10 s",
    ):
        read_balance_trial(_with_load(tmp_path / "short.c3d", np.full(4200, 700.0)))
    csv = tmp_path / "cop.csv"
    t = np.arange(420) / 100
    csv.write_text(
        "t,cop_x[mm],cop_y[mm]\n" + "".join(f"{v:.2f},{np.sin(v):.3f},1\n" for v in t),
        encoding="utf-8",
    )
    with pytest.raises(RecordingError, match=r"cop\.csv: not a balance trial: the recording lasts "
                       r"4\.20 s, and a balance trial needs at least 10 s"):  # fmt: skip
        read_balance_trial(csv)
    # The clinic decides the protocol's length.
    rules = BalanceRules(min_duration_s=4.0)
    from clinic_app.exchange.recordings import read_recording

    assert balance_trial(read_recording(csv), rules).n == 420
