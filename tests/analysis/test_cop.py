"""COP from each kind of plate, checked with a dead weight at known positions."""

from __future__ import annotations

import numpy as np
import pytest

from clinic_app.analysis.cop import cop_from_kistler, cop_from_load_cells, cop_from_six_component

POSITIONS_MM = [(0.0, 0.0), (100.0, 0.0), (0.0, 60.0), (-150.0, -80.0), (200.0, 110.0)]
W = 686.0  # a 70 kg dead weight (N)


def _bilinear(x: float, y: float, half_x: float, half_y: float) -> dict[str, float]:
    """Share of a point load on four corner supports at (±half_x, ±half_y)."""
    u, v = (x + half_x) / (2 * half_x), (y + half_y) / (2 * half_y)
    return {"tr": u * v, "tl": (1 - u) * v, "br": u * (1 - v), "bl": (1 - u) * (1 - v)}


@pytest.mark.parametrize(("x", "y"), POSITIONS_MM)
def test_load_cells_put_the_weight_where_it_is(x: float, y: float) -> None:
    share = _bilinear(x, y, 433 / 2, 238 / 2)
    cop = cop_from_load_cells(
        W * share["tr"], W * share["br"], W * share["tl"], W * share["bl"],
        spacing_ml_mm=433.0, spacing_ap_mm=238.0,
    )  # fmt: skip
    assert float(cop.cop_ml_mm) == pytest.approx(x, abs=1e-9)
    assert float(cop.cop_ap_mm) == pytest.approx(y, abs=1e-9)
    assert float(cop.fz_n) == pytest.approx(W)


def test_right_and_forward_are_positive() -> None:
    only_front_right = cop_from_load_cells(
        100.0, 0.0, 0.0, 0.0, spacing_ml_mm=400, spacing_ap_mm=200
    )
    assert (
        float(only_front_right.cop_ml_mm) == 200.0 and float(only_front_right.cop_ap_mm) == 100.0
    )


def test_min_load_gate_gives_nan_not_noise() -> None:
    tr, br, tl, bl = (np.array([light, 100.0]) for light in (5.0, 3.0, 2.0, 1.0))
    cop = cop_from_load_cells(tr, br, tl, bl, spacing_ml_mm=433, spacing_ap_mm=238)
    assert np.isnan(cop.cop_ml_mm[0]) and np.isnan(cop.cop_ap_mm[0])
    assert cop.loaded.tolist() == [False, True]
    zero = cop_from_load_cells(0.0, 0.0, 0.0, 0.0, spacing_ml_mm=433, spacing_ap_mm=238)
    assert np.isnan(zero.cop_ml_mm)


@pytest.mark.parametrize(("x", "y"), POSITIONS_MM)
@pytest.mark.parametrize(
    ("fx", "fy", "h"), [(0.0, 0.0, 0.0), (5.0, -3.0, 40.0), (-20.0, 12.0, 55.0)]
)
def test_six_component_plate_with_origin_depth(
    x: float, y: float, fx: float, fy: float, h: float
) -> None:
    # Action force, z down (AMTI): M = r × F about the origin h mm below the surface.
    mx = (W * y + h * fy) / 1000.0
    my = (-W * x - h * fx) / 1000.0
    cop = cop_from_six_component(fx, fy, W, mx, my, origin_depth_mm=h)
    assert float(cop.cop_ml_mm) == pytest.approx(x, abs=1e-9)
    assert float(cop.cop_ap_mm) == pytest.approx(y, abs=1e-9)


def test_six_component_matches_the_balance_data_set_convention() -> None:
    # BDS: COPx = −My/Fz, COPy = Mx/Fz (cm) with the origin at the surface.
    cop = cop_from_six_component(-1.63, -3.74, 539.066061, 5.383505, 43.064851)
    assert float(cop.cop_ml_mm) / 10 == pytest.approx(-7.988789, abs=1e-5)
    assert float(cop.cop_ap_mm) / 10 == pytest.approx(0.998673, abs=1e-5)


@pytest.mark.parametrize(("x", "y"), POSITIONS_MM)
def test_kistler_eight_channels(x: float, y: float) -> None:
    a, b, az0 = 210.0, 260.0, -41.0
    # Sensor 1 (+a, +b), 2 (−a, +b), 3 (−a, −b), 4 (+a, −b).
    s = _bilinear(x, y, a, b)
    fz = (W * s["tr"], W * s["tl"], W * s["bl"], W * s["br"])
    cop = cop_from_kistler(0.0, 0.0, 0.0, 0.0, fz, a_mm=a, b_mm=b, az0_mm=az0)
    assert float(cop.cop_ml_mm) == pytest.approx(x, abs=1e-9)
    assert float(cop.cop_ap_mm) == pytest.approx(y, abs=1e-9)


def test_kistler_shear_uses_the_surface_offset() -> None:
    # With shear only the az0 term moves the COP: ax = Fx·az0/Fz, ay = Fy·az0/Fz.
    fz = (W / 4,) * 4
    cop = cop_from_kistler(6.0, 4.0, 3.0, 2.0, fz, a_mm=210, b_mm=260, az0_mm=-41.0)
    assert float(cop.cop_ml_mm) == pytest.approx(10.0 * -41.0 / W)
    assert float(cop.cop_ap_mm) == pytest.approx(5.0 * -41.0 / W)
