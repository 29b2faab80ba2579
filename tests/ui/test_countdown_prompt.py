"""The live screen says why a balance countdown restarted (words from the protocol)."""

from __future__ import annotations

from typing import Any

from clinic_app.protocols.balance import BalanceProtocol
from clinic_app.ui.assessment.live import LiveView
from tests.protocols.samples import feed_in_batches
from tests.protocols.test_balance_protocol import COUNTDOWN_AT, settings, with_event


def test_the_countdown_restart_reason_is_on_the_live_screen(qtbot: Any) -> None:
    view = LiveView()
    qtbot.addWidget(view)
    proto = BalanceProtocol("left", "eo_firm", settings())
    proto.arm(0.0)
    samples = with_event("other_foot", COUNTDOWN_AT + 1.0)
    events = feed_in_batches(proto, None, samples[samples["t_host_s"] < COUNTDOWN_AT + 1.5])
    (reset,) = [e for e in events if e.data.get("action") == "countdown_reset"]
    assert proto.phase == "waiting" and reset.data["reason"] == "step"
    view.show_status(proto.status())
    assert "Countdown restarted: the other foot touched the plate" in view.keys.text()
