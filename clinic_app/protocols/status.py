"""What the live screen shows for each protocol phase (title, big number, instructions).

Kept apart from the state machines so that the words can change without touching the
rules. Patient-facing instructions are short, plain sentences in large type.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from clinic_app.protocols.events import CONDITION_WORDS, LiveStatus

if TYPE_CHECKING:
    from clinic_app.protocols.balance import BalanceProtocol
    from clinic_app.protocols.lunge import LungeProtocol


def lunge_status(p: LungeProtocol) -> LiveStatus:
    """What the live screen shows now."""
    s = p.settings
    side = p.side
    if p.practice:
        title = f"Lunge · {side} · practice {p.practice_done + 1} of {s.practice_trials}"
    else:
        n = min(p.valid_done + 1, s.measured_trials)
        title = f"Lunge · {side} · trial {n} of {s.measured_trials}"
    angle = "—" if not math.isfinite(p.angle_deg) else f"{p.angle_deg:.1f}°"
    hold = p.hold_state
    if p.phase == "ready":
        return LiveStatus(
            "ready",
            title,
            angle,
            "tibial angle",
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
        shown = f"{c.angle_deg:.1f}°" if c else angle
        heel = " · HEEL LIFTED: trial will be invalid" if p.heel_state.lifted else ""
        return LiveStatus(
            "entry",
            title,
            shown,
            "captured angle",
            "Well done. Stand up and relax.",
            "Type the knee-to-wall distance and pain, then Enter · R: repeat" + heel,
            1.0,
        )
    return LiveStatus(
        "done",
        f"Lunge · {side} · done",
        angle,
        "tibial angle",
        "Done on this side. Thank you!",
        "Space: next test",
    )


def balance_status(p: BalanceProtocol) -> LiveStatus:
    from clinic_app.protocols.balance import COUNTDOWN_S

    """What the live screen shows now."""
    s = p.settings
    cond = CONDITION_WORDS.get(p.condition, p.condition)
    if p.practice:
        title = f"Balance · {p.side} · {cond} · practice"
    else:
        n = min(p.valid_done + 1, s.trials)
        title = f"Balance · {p.side} · {cond} · trial {n} of {s.trials}"
        if p.failed_done:
            title += f" ({p.failed_done} failed)"
    eyes = "close your eyes" if p.condition.startswith("ec") else "look at the mark"
    load = "—" if not math.isfinite(p.fz_n) else f"{p.fz_n:.0f} N"
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
        left = COUNTDOWN_S - (p.last_sample_t - (p.countdown_from or p.last_sample_t))
        return LiveStatus(
            "countdown",
            title,
            f"{max(math.ceil(left), 1)}",
            "get ready",
            f"Hands on hips, {eyes}.\nStay as still as you can.",
            restarted + "Countdown · R: restart · Esc: stop",
            1.0 - max(left, 0.0) / COUNTDOWN_S,
        )
    if p.phase == "live":
        elapsed = p.last_sample_t - (p.t_start or p.last_sample_t)
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
