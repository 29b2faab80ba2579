"""Numbers as a clinician reads them: rounded, and never "−0.0".

A value a hair below zero (a tared plate at −0.3 N, a change of −0.04 cm) rounds to zero;
Python prints it "-0.0", which reads as a small loss that did not happen. Every number the
screens, reports and handout print goes through :func:`fixed` or :func:`signed`, which round
first and then drop the sign of a zero. Qt-free: the UI, the reports and the analysis texts
all use it.
"""

from __future__ import annotations

import math

MINUS = "\u2212"
"""The true minus sign, used on screen where it reads better from a distance."""


def _rounded(value: float, digits: int) -> float:
    shown = round(float(value), digits)
    return 0.0 if shown == 0 else shown  # -0.0 == 0: drops the sign of a rounded zero


def fixed(value: float | None, digits: int = 1, *, missing: str = "—", minus: str = "-") -> str:
    """``value`` with ``digits`` decimals; ``"0.0"`` for anything that rounds to zero.

    Parameters
    ----------
    value : float or None
        The number (any unit); None or NaN prints ``missing``.
    digits : int
        Decimals shown.
    missing : str
        Text for a missing or non-finite value.
    minus : str
        The sign of a negative value (``MINUS`` for the true minus sign).

    Examples
    --------
    >>> fixed(-0.04), fixed(-0.06), fixed(12.345, 2), fixed(None)
    ('0.0', '-0.1', '12.35', '—')
    """
    if value is None or not math.isfinite(value):
        return missing
    return f"{_rounded(value, digits):.{digits}f}".replace("-", minus)


def signed(value: float | None, digits: int = 1, *, missing: str = "—", minus: str = "-") -> str:
    """A change with its sign (``"+1.2"``, ``"-0.3"``); a change that rounds to zero is ``"0.0"``.

    Examples
    --------
    >>> signed(1.24), signed(-0.04), signed(-0.26)
    ('+1.2', '0.0', '-0.3')
    """
    if value is None or not math.isfinite(value):
        return missing
    shown = _rounded(value, digits)
    text = f"{shown:+.{digits}f}" if shown != 0 else f"{shown:.{digits}f}"
    return text.replace("-", minus)


def counted(n: int, thing: str, things: str | None = None) -> str:
    """``"1 trial"``, ``"2 trials"``: a count with the right word, never ``"trial(s)"``.

    Examples
    --------
    >>> counted(1, "trial"), counted(0, "trial"), counted(3, "Bluetooth inclinometer")
    ('1 trial', '0 trials', '3 Bluetooth inclinometers')
    """
    return f"{n} {thing if n == 1 else things or thing + 's'}"
