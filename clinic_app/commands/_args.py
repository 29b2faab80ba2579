"""Argument types shared by the sub-commands: ids and numbers checked at the parser.

A value argparse cannot accept becomes a usage error (one line, exit 2) naming the option,
before any file or the database is touched.
"""

from __future__ import annotations

import argparse
import math

MAX_ID = 2**63 - 1
"""The largest id SQLite can store (a 64-bit signed integer)."""


def record_id(text: str) -> int:
    """A record id: a whole number from 1 to :data:`MAX_ID`."""
    try:
        value = int(text.strip(), 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id (a whole number)") from None
    if not 1 <= value <= MAX_ID:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id (ids are 1 to {MAX_ID})")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def positive_number(text: str) -> float:
    """A finite number above zero (a rate in Hz, a duration in s)."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
    return value


def non_negative_number(text: str) -> float:
    """A finite number of at least zero (seconds to trim)."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


def positive_int(text: str) -> int:
    """A whole number of at least 1 (a filter order)."""
    try:
        value = int(text.strip(), 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number from 1")
    return value
