"""Small statistics for session summaries: finite numbers, means, sample SDs."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def sample_sd(values: Sequence[float]) -> float:
    """Sample standard deviation (ddof = 1) in floating point; needs two or more values.

    :func:`statistics.stdev` computes in exact fractions, which made summarising every
    metric of every past visit the largest cost of a report with a long history; two
    float passes agree with it to ~1e-15 relative for the few trials of a condition.
    """
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))


def stats(values: list[float]) -> tuple[float | None, float | None, float | None]:
    if not values:
        return None, None, None
    sd = sample_sd(values) if len(values) >= 2 else None
    return statistics.fmean(values), max(values), sd


def metric_stats(
    metrics: Sequence[Mapping[str, float]],
) -> tuple[dict[str, float], dict[str, float]]:
    """Mean and sample SD (ddof = 1, two or more values) of every metric key.

    Trials usually share their keys: then one numpy pass over a trials × keys array does
    every metric at once (a report with a long history summarises every past visit).
    """
    keys = list(dict.fromkeys(k for m in metrics for k in m))
    if metrics and all(len(m) == len(keys) for m in metrics):
        table = np.array([[m[k] for k in keys] for m in metrics], dtype=np.float64)
        mean = table.mean(axis=0)
        means = dict(zip(keys, mean.tolist()))
        if len(metrics) < 2:
            return means, {}
        sd = np.sqrt(((table - mean) ** 2).sum(axis=0) / (len(metrics) - 1))
        return means, dict(zip(keys, sd.tolist()))
    means, sds = {}, {}
    for key in keys:
        values = [m[key] for m in metrics if key in m]
        means[key] = statistics.fmean(values)
        if len(values) >= 2:
            sds[key] = sample_sd(values)
    return means, sds


__all__ = ["metric_stats", "num", "sample_sd", "stats"]
