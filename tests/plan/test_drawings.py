"""The exercise drawings show positions a healthy ankle can reach, measured from the SVG.

The working leg is the purple polyline hip → knee → ankle (stroke 10) and its sole the purple
polyline heel → ball → toe (stroke 6). With the heel down, the tibial angle from vertical is
the ankle's dorsiflexion as the lunge test reads it; it must lean forward (not a pointed
foot) and stay within the healthy-adult mean (44.9°, Hall & Docherty 2017, ``norms.toml``).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from clinic_app.analysis.norms import load_norms
from clinic_app.plan import load_library

WORKING = "#6A3D9A"
FLOOR_Y = 188.0
LUNGE_TYPE = (
    "calf_stretch_straight", "calf_stretch_bent", "lunge_self_mob_belt", "ankle_rocks",
    "running_ankle_rocks", "single_leg_squat",
)  # fmt: skip
"""Weight-bearing drawings with the working heel down (the lunge-test position)."""

Point = tuple[float, float]


def _polylines(path: Path, colour: str, width: str) -> list[list[Point]]:
    out = []
    for el in ET.parse(path).getroot().iter("{http://www.w3.org/2000/svg}polyline"):
        if el.get("stroke") == colour and el.get("stroke-width") == width:
            pairs = [p.split(",") for p in (el.get("points") or "").split()]
            out.append([(float(x), float(y)) for x, y in pairs])
    return out


def working_leg(exercise_id: str) -> tuple[list[Point], list[Point]]:
    """(hip, knee, ankle) and (heel, ball, toe) of the purple working leg."""
    path = load_library().exercise(exercise_id).illustration_path()
    legs = [p for p in _polylines(path, WORKING, "10") if len(p) == 3]
    soles = [p for p in _polylines(path, WORKING, "6") if len(p) == 3]
    assert len(legs) == 1 and len(soles) == 1, (exercise_id, legs, soles)
    return legs[0], soles[0]


def tibial_angle_deg(leg: list[Point], sole: list[Point]) -> float:
    """Shin angle from vertical, positive when the knee is ahead of the ankle (toe side)."""
    (_, knee, ankle), (heel, ball, _) = leg, sole
    facing = 1.0 if ball[0] > heel[0] else -1.0
    forward = (knee[0] - ankle[0]) * facing
    return math.degrees(math.atan2(forward, ankle[1] - knee[1]))


@pytest.mark.parametrize("exercise_id", LUNGE_TYPE)
def test_lunge_type_drawing_has_the_heel_down_and_a_reachable_tibial_angle(
    exercise_id: str,
) -> None:
    leg, sole = working_leg(exercise_id)
    heel, ball, _ = sole
    assert abs(heel[1] - FLOOR_Y) <= 1.0 and abs(ball[1] - FLOOR_Y) <= 1.0, "heel not down"
    knee, ankle = leg[1], leg[2]
    assert math.dist(knee, ankle) == pytest.approx(40.0, abs=1.0)  # a shin, not stretched
    angle = tibial_angle_deg(leg, sole)
    healthy = load_norms().value("reference.lunge_angle_healthy_mean_deg")
    assert 0.0 <= angle <= healthy, f"{exercise_id}: tibial angle {angle:.1f}°"


def test_the_knee_bent_stretch_reaches_further_than_the_knee_straight_one() -> None:
    """Bending the knee frees the gastrocnemius (Baumbach 2014): more dorsiflexion, not less."""
    straight = tibial_angle_deg(*working_leg("calf_stretch_straight"))
    bent = tibial_angle_deg(*working_leg("calf_stretch_bent"))
    assert straight < bent


def test_the_old_impossible_positions_fail_the_measure() -> None:
    """The measure catches what the issue found: 66° heel-down shin, a pointed belt foot."""
    sole = [(65.0, 188.0), (83.0, 188.0), (89.0, 187.0)]
    assert tibial_angle_deg([(100.0, 124.0), (106.4, 165.5), (70.0, 182.0)], sole) > 60
    belt_sole = [(131.0, 188.0), (149.0, 188.0), (155.0, 187.0)]
    assert tibial_angle_deg([(88.0, 128.0), (127.2, 143.0), (136.0, 182.0)], belt_sole) < 0
