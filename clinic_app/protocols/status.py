"""What the live screen shows for each protocol phase (title, big number, instructions).

Kept apart from the state machines so that the words can change without touching the
rules. Patient-facing instructions are short, plain sentences in large type.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from clinic_app.analysis.heel_lift import HeelLiftState
from clinic_app.analysis.lunge import HoldSettings, HoldState
from clinic_app.numbers import fixed
from clinic_app.protocols.events import CONDITION_WORDS, LiveStatus, TrialOutcome

# The state machines call these functions with themselves; the views below name only what
# the words need, so this module never imports the state machines (no import circle).


class _LungeSettingsView(Protocol):
    @property
    def practice_trials(self) -> int: ...
    @property
    def measured_trials(self) -> int: ...
    @property
    def hold(self) -> HoldSettings: ...


class _CaptureView(Protocol):
    @property
    def angle_deg(self) -> float: ...


class LungeView(Protocol):
    """What :func:`lunge_status` reads of a :class:`~clinic_app.protocols.lunge.LungeProtocol`."""

    @property
    def side(self) -> str: ...
    @property
    def settings(self) -> _LungeSettingsView: ...
    @property
    def practice(self) -> bool: ...
    @property
    def practice_done(self) -> int: ...
    @property
    def valid_done(self) -> int: ...
    @property
    def angle_deg(self) -> float: ...
    @property
    def phase(self) -> str: ...
    @property
    def hold_state(self) -> HoldState: ...
    @property
    def recent_angles(self) -> list[tuple[float, float]]: ...
    @property
    def heel_checked(self) -> bool: ...
    @property
    def capture_info(self) -> _CaptureView | None: ...
    @property
    def heel_state(self) -> HeelLiftState: ...
    @property
    def heel_load_fraction(self) -> float: ...
    @property
    def outcomes(self) -> Sequence[TrialOutcome]: ...


class _BalanceSettingsView(Protocol):
    @property
    def planned_s(self) -> float: ...
    @property
    def trials(self) -> int: ...


class BalanceView(Protocol):
    """What :func:`balance_status` reads of a
    :class:`~clinic_app.protocols.balance.BalanceProtocol`."""

    @property
    def side(self) -> str: ...
    @property
    def condition(self) -> str: ...
    @property
    def settings(self) -> _BalanceSettingsView: ...
    @property
    def practice(self) -> bool: ...
    @property
    def valid_done(self) -> int: ...
    @property
    def failed_done(self) -> int: ...
    @property
    def fz_n(self) -> float: ...
    @property
    def countdown_restart(self) -> str: ...
    @property
    def countdown_s(self) -> float: ...
    @property
    def phase(self) -> str: ...
    @property
    def last_sample_t(self) -> float: ...
    @property
    def countdown_from(self) -> float | None: ...
    @property
    def t_start(self) -> float | None: ...
    @property
    def elapsed_s(self) -> float: ...
    @property
    def outcomes(self) -> Sequence[TrialOutcome]: ...
    @property
    def failure_text(self) -> str: ...


def newtons(value: float) -> str:
    """A load in words, "0 N" and never "−0 N" (a tared plate reads a little below 0)."""
    if not math.isfinite(value):
        return "—"
    return f"{round(value)} N"  # an int: no negative zero


def heel_words(p: LungeView) -> tuple[str, str]:
    """The live heel indicator: (words, level) with level ``ok``, ``bad`` or ``none``."""
    if p.phase not in ("live", "entry"):
        return "", "none"
    if p.heel_state.lifted:
        return "Heel LIFTED: this trial will be invalid", "bad"
    if p.phase == "entry":
        if p.heel_checked:
            return "Heel stayed down ✓", "ok"
        return "Heel not checked: no load on the plate", "none"
    if not p.heel_checked or not math.isfinite(p.heel_load_fraction):
        return "Heel: no foot on the plate yet", "none"
    return f"Heel down · {100 * p.heel_load_fraction:.0f} % of the load on the heel", "ok"


def _last_angle(p: LungeView) -> float | None:
    for outcome in reversed(p.outcomes):
        angle = outcome.result.get("angle_deg")
        if angle is not None:
            return float(angle)
    return None


def nth(word: str, n: int, total: int) -> str:
    """``"trial 2 of 3"`` held together by no-break spaces, so a narrow screen wraps the
    title at its `` · `` separators and never as "trial 2 of / 3"."""
    return f"{word}\u00a0{n}\u00a0of\u00a0{total}"


def lunge_status(p: LungeView) -> LiveStatus:
    """What the live screen shows now."""
    s = p.settings
    side = p.side
    if p.practice:
        title = f"Lunge · {side} · {nth('practice', p.practice_done + 1, s.practice_trials)}"
    else:
        n = min(p.valid_done + 1, s.measured_trials)
        title = f"Lunge · {side} · {nth('trial', n, s.measured_trials)}"
    angle = "—" if not math.isfinite(p.angle_deg) else f"{fixed(p.angle_deg)}°"
    hold = p.hold_state
    last = _last_angle(p)
    if p.phase == "ready":
        # Until the next trial starts, the big number keeps the captured value.
        return LiveStatus(
            "ready",
            title,
            angle if last is None else f"{fixed(last)}°",
            "tibial angle" if last is None else "last trial (captured)",
            f"Put your {side} foot on the plate, toes to the tape.\n"
            "Lunge your knee towards the wall, heel down.",
            "Space: start the trial · N: next test",
        )
    if p.phase == "live":
        band = None
        if hold.still_s > 0 and p.recent_angles:
            mid = float(np.mean([a for _, a in p.recent_angles[-20:]]))
            band = (mid - s.hold.tolerance_deg, mid + s.hold.tolerance_deg)
        heel = "" if p.heel_checked else "  (no load on the plate yet: heel not checked)"
        return LiveStatus(
            "live",
            title,
            angle,
            "tibial angle",
            "Knee to the wall, heel down.\nHold still…",
            "Space: capture now · R: repeat · Esc: stop" + heel,
            hold.progress,
            band,
        )
    if p.phase == "entry":
        c = p.capture_info
        shown = f"{fixed(c.angle_deg)}°" if c else angle
        heel = " · HEEL LIFTED: trial will be invalid" if p.heel_state.lifted else ""
        return LiveStatus(
            "entry",
            title,
            shown,
            "captured angle",
            "Well done. Stand up and relax.",
            "Type the knee-to-wall distance and pain, then Enter (or Space) · R: repeat" + heel,
            1.0,
        )
    return LiveStatus(
        "done",
        f"Lunge · {side} · done",
        angle if last is None else f"{fixed(last)}°",
        "tibial angle" if last is None else "last trial (captured)",
        "Done on this side. Thank you!",
        "Space: next test",
    )


def balance_status(p: BalanceView) -> LiveStatus:
    """What the live screen shows now."""
    s = p.settings
    cond = CONDITION_WORDS.get(p.condition, p.condition)
    if p.practice:
        title = f"Balance · {p.side} · {cond} · practice"
    else:
        n = min(p.valid_done + 1, s.trials)
        title = f"Balance · {p.side} · {cond} · {nth('trial', n, s.trials)}"
        if p.failed_done:
            title += f" ({p.failed_done} failed)"
    eyes = "close your eyes" if p.condition.startswith("ec") else "look at the mark"
    load = newtons(p.fz_n)
    # Why the last countdown of this trial restarted, until the timed window begins.
    restarted = f"Countdown restarted: {p.countdown_restart} · " if p.countdown_restart else ""
    if p.phase == "ready":
        return LiveStatus(
            "ready",
            title,
            f"{s.planned_s:.0f} s",
            "trial length",
            f"Stand on your {p.side} leg on the plate,\nhands on hips.",
            "Space: arm (the trial starts when the patient stands still)",
        )
    if p.phase == "waiting":
        return LiveStatus(
            "waiting",
            title,
            load,
            "load on the plate",
            f"Step on with your {p.side} foot.\nLift the other foot.",
            restarted + "Waiting for one-leg stance · R: restart · Esc: stop",
        )
    if p.phase == "countdown":
        left = p.countdown_s - (p.last_sample_t - (p.countdown_from or p.last_sample_t))
        return LiveStatus(
            "countdown",
            title,
            f"{max(math.ceil(left), 1)}",
            "get ready",
            f"Hands on hips, {eyes}.\nStay as still as you can.",
            restarted + "Countdown · R: restart · Esc: stop",
            1.0 - max(left, 0.0) / p.countdown_s,
        )
    if p.phase == "live":
        elapsed = p.elapsed_s  # on the clock the trial is timed with
        left = max(s.planned_s - elapsed, 0.0)
        return LiveStatus(
            "live",
            title,
            f"{left:.1f} s",
            "time left",
            f"{eyes.capitalize()}.\nStay still…",
            "Timing · R: restart · Esc: stop",
            min(elapsed / s.planned_s, 1.0),
        )
    if p.phase == "rest":
        last = p.outcomes[-1] if p.outcomes else None
        said = "Well done!" if last and last.status == "valid" else "That's fine."
        hint = f"Last trial: {p.failure_text}" if p.failure_text else "Last trial valid"
        return LiveStatus(
            "rest",
            title,
            load,
            "load on the plate",
            f"{said} Step off and rest.\nThe next trial starts when you step on.",
            hint + " · the next trial arms when the plate is empty",
        )
    return LiveStatus(
        "done",
        f"Balance · {p.side} · {cond} · done",
        load,
        "load on the plate",
        "Done. Step off the plate.",
        "Space: next test",
    )


def trial_lines(
    outcomes: Sequence[TrialOutcome], side: str, finished: bool
) -> list[tuple[str, str]]:
    """One line per trial of the test on screen, and the side's result once it is done.

    Returns ``(text, level)`` pairs; level is ``ok`` (valid), ``bad`` (invalid, failed or
    stopped, with the reason in words) or ``summary``.
    """
    lines: list[tuple[str, str]] = []
    measured = 0
    kept: list[TrialOutcome] = []
    for outcome in outcomes:
        if outcome.practice:
            label = "Practice"
        else:
            measured += 1
            label = f"Trial {measured}"
        words = _trial_numbers(outcome)
        if outcome.status == "valid":
            lines.append((f"{label}: {words} ✓" if words else f"{label}: valid ✓", "ok"))
            if not outcome.practice:
                kept.append(outcome)
        else:
            why = outcome.invalid_reason or outcome.status
            lines.append((f"{label}: {outcome.status} — {why}", "bad"))
    if finished and kept:
        lines.append((_summary(kept, side), "summary"))
    return lines


def _trial_numbers(outcome: TrialOutcome) -> str:
    result = outcome.result
    if outcome.protocol == "lunge":
        angle, distance = result.get("angle_deg"), result.get("distance_cm")
        bits = [
            f"{fixed(angle)}°" if angle is not None else "",
            f"{fixed(distance)} cm" if distance is not None else "",
        ]
        return " · ".join(b for b in bits if b)
    velocity = (result.get("metrics") or {}).get("mean_velocity_cm_s")
    return f"{fixed(velocity, 2)} cm/s" if velocity is not None else ""


def _mean(values: list[float]) -> float:
    return float(np.mean(values))


def _summary(kept: list[TrialOutcome], side: str) -> str:
    n = len(kept)
    trials = f"{n} valid trial{'s' * (n != 1)}"
    if kept[0].protocol == "lunge":
        angles = [float(o.result["angle_deg"]) for o in kept if o.result.get("angle_deg")]
        distances = [
            float(o.result["distance_cm"]) for o in kept if o.result.get("distance_cm") is not None
        ]
        bits = [
            f"{fixed(_mean(angles))}°" if angles else "",
            f"{fixed(_mean(distances))} cm" if distances else "",
        ]
        return f"{side.capitalize()}: mean {' · '.join(b for b in bits if b)} ({trials})"
    speeds = [
        float(v)
        for o in kept
        if (v := (o.result.get("metrics") or {}).get("mean_velocity_cm_s")) is not None
    ]
    mean = f"mean {fixed(_mean(speeds), 2)} cm/s " if speeds else ""
    return f"{side.capitalize()}: {mean}({trials})"
