"""Bench figures of the 'acquisition' group (placeholder until its owner lands it)."""

from __future__ import annotations


def measure(quick: bool) -> dict[str, float]:
    """No figures yet."""
    return {}
