"""Centre of pressure (COP) from the three kinds of force plate DorsiLab meets.

Plate frame (as :mod:`drivers.base`): origin at the centre of the plate's top surface,
+x to the patient's right (medio-lateral, ML), +y forward towards the toes
(antero-posterior, AP). COP in millimetres; forces in newtons, moments in newton-metres.
Wherever the total vertical load is below the minimum-load gate (20 N by default,
``balance.min_load_n`` in ``norms.toml``), the COP is undefined and returned as NaN.

Sign conventions differ between makers; each function states the one it expects and the
tests check it with a dead weight at known positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

DEFAULT_MIN_LOAD_N = 20.0
"""Default minimum-load gate (N); ``balance.min_load_n`` in ``norms.toml`` [S]."""


@dataclass(frozen=True)
class CopSeries:
    """Vertical load and centre of pressure, sample by sample.

    Attributes
    ----------
    fz_n : ndarray
        Total vertical load (N, positive = load on the plate).
    cop_ml_mm, cop_ap_mm : ndarray
        COP in the plate frame (mm); NaN where ``fz_n`` is below the gate.
    """

    fz_n: FloatArray
    cop_ml_mm: FloatArray
    cop_ap_mm: FloatArray

    @property
    def loaded(self) -> npt.NDArray[np.bool_]:
        """True where the COP is defined (load at or above the gate)."""
        return np.isfinite(self.cop_ml_mm)


def _as_array(values: npt.ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def _gated(fz: FloatArray, num_ml: FloatArray, num_ap: FloatArray, min_load_n: float) -> CopSeries:
    ok = fz >= min_load_n
    safe = np.where(ok, fz, 1.0)
    ml = np.where(ok, num_ml / safe, np.nan)
    ap = np.where(ok, num_ap / safe, np.nan)
    return CopSeries(fz_n=fz, cop_ml_mm=ml, cop_ap_mm=ap)


def cop_from_load_cells(
    tr_n: npt.ArrayLike,
    br_n: npt.ArrayLike,
    tl_n: npt.ArrayLike,
    bl_n: npt.ArrayLike,
    *,
    spacing_ml_mm: float,
    spacing_ap_mm: float,
    min_load_n: float = DEFAULT_MIN_LOAD_N,
) -> CopSeries:
    """COP of a plate on four vertical load cells at the corners (Wii Balance Board, DIY).

    ``COP_ml = (Lml/2)·[(TR + BR) − (TL + BL)] / F`` and
    ``COP_ap = (Lap/2)·[(TR + TL) − (BR + BL)] / F`` with ``F = TR + BR + TL + BL``
    (clinical reference §2.3a). T = top = front (toes), R = right.

    Parameters
    ----------
    tr_n, br_n, tl_n, bl_n : array_like
        Tared cell loads (N): top-right, bottom-right, top-left, bottom-left.
    spacing_ml_mm, spacing_ap_mm : float
        Centre-to-centre cell spacing, left–right and front–back (mm); e.g. 433 × 238 mm
        for a Wii Balance Board (``plate.wbb_spacing_*`` in ``norms.toml``, [S]).
    min_load_n : float
        Minimum total load (N) for a defined COP.
    """
    tr, br, tl, bl = (_as_array(v) for v in (tr_n, br_n, tl_n, bl_n))
    total = tr + br + tl + bl
    num_ml = 0.5 * spacing_ml_mm * ((tr + br) - (tl + bl))
    num_ap = 0.5 * spacing_ap_mm * ((tr + tl) - (br + bl))
    return _gated(total, num_ml, num_ap, min_load_n)


def cop_from_six_component(
    fx_n: npt.ArrayLike,
    fy_n: npt.ArrayLike,
    fz_n: npt.ArrayLike,
    mx_nm: npt.ArrayLike,
    my_nm: npt.ArrayLike,
    *,
    origin_depth_mm: float = 0.0,
    min_load_n: float = DEFAULT_MIN_LOAD_N,
) -> CopSeries:
    """COP of a six-component plate (AMTI/Bertec style: Fx Fy Fz Mx My Mz).

    ``COP_x = (−h·Fx − My) / Fz`` and ``COP_y = (−h·Fy + Mx) / Fz`` (clinical reference
    §2.3b, AMTI manual form), h = depth of the transducer origin below the top surface.
    With ``h = 0`` this is ``COP_x = −My/Fz``, ``COP_y = Mx/Fz`` (the balance data set's
    convention). Convention expected (AMTI): the action force of the subject on the plate
    with z pointing down into the plate, so Fz is positive for load; a load W pressing at
    (x0, y0) on the surface with horizontal force (Fx, Fy) reads ``Mx = W·y0 + h·Fy`` and
    ``My = −W·x0 − h·Fx`` about the transducer origin h below the surface. Plates with the
    opposite moment signs must be negated before calling (check with a dead weight).

    Parameters
    ----------
    fx_n, fy_n, fz_n : array_like
        Forces (N).
    mx_nm, my_nm : array_like
        Moments about the transducer origin (N·m).
    origin_depth_mm : float
        h, the transducer origin's depth below the surface (mm, ≥ 0; AMTI "zoff" magnitude).
    min_load_n : float
    """
    fx, fy, fz, mx, my = (_as_array(v) for v in (fx_n, fy_n, fz_n, mx_nm, my_nm))
    h_m = origin_depth_mm / 1000.0
    num_ml = 1000.0 * (-h_m * fx - my)
    num_ap = 1000.0 * (-h_m * fy + mx)
    return _gated(fz, num_ml, num_ap, min_load_n)


def cop_from_kistler(
    fx12_n: npt.ArrayLike,
    fx34_n: npt.ArrayLike,
    fy14_n: npt.ArrayLike,
    fy23_n: npt.ArrayLike,
    fz_n: tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike, npt.ArrayLike],
    *,
    a_mm: float,
    b_mm: float,
    az0_mm: float,
    min_load_n: float = DEFAULT_MIN_LOAD_N,
) -> CopSeries:
    """COP of a Kistler eight-channel plate (fx12, fx34, fy14, fy23, fz1…fz4).

    From the Kistler manual as implemented in BMClab ``kistler_fp_cal`` and MOtoNMS::

        Fx = fx12 + fx34        Fy = fy14 + fy23        Fz = fz1 + fz2 + fz3 + fz4
        Mx = b·(fz1 + fz2 − fz3 − fz4)      My = a·(−fz1 + fz2 + fz3 − fz4)
        Mx' = Mx + Fy·az0                    My' = My − Fx·az0
        ax = −My' / Fz                       ay = Mx' / Fz

    Sensor 1 sits at (+a, +b), 2 at (−a, +b), 3 at (−a, −b), 4 at (+a, −b) in the plate
    frame (x right, y forward). Kistler's optional polynomial COP correction is not applied.

    Parameters
    ----------
    fx12_n, fx34_n, fy14_n, fy23_n : array_like
        Shear channels (N).
    fz_n : tuple of four array_like
        Vertical channels fz1…fz4 (N, positive = load).
    a_mm, b_mm : float
        Sensor offsets from the plate centre along x and y (mm).
    az0_mm : float
        Top-surface offset from the sensor plane (mm, negative as on the calibration sheet).
    min_load_n : float
    """
    fx12, fx34, fy14, fy23 = (_as_array(v) for v in (fx12_n, fx34_n, fy14_n, fy23_n))
    fz1, fz2, fz3, fz4 = (_as_array(v) for v in fz_n)
    fx = fx12 + fx34
    fy = fy14 + fy23
    fz = fz1 + fz2 + fz3 + fz4
    mx = b_mm * (fz1 + fz2 - fz3 - fz4)  # N·mm
    my = a_mm * (-fz1 + fz2 + fz3 - fz4)
    mx_surface = mx + fy * az0_mm
    my_surface = my - fx * az0_mm
    return _gated(fz, -my_surface, mx_surface, min_load_n)
