"""The modal alert shown when recorded data did not reach the database.

A failed write is never reported as success (issue 12 §1): the runner stops the trial and
emits a ``not_saved`` event (:mod:`clinic_app.protocols.runner`); this module says so in
words, in a window-modal alert the clinician must acknowledge, with what to do next. A
second failure while the alert is open adds to it rather than stacking another window.

While the alert is open the page stops pulling samples, so a balance trial cannot start by
itself under it; Space (a foot pedal) does not dismiss it, a click, Enter or Esc does.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from clinic_app.protocols.events import ProtocolEvent

log = logging.getLogger(__name__)

TITLE = "The recording was not saved"
WHAT_TO_DO = (
    "The trial stopped and does not count; the test will ask for it again. Check that the "
    "disk has free space and that no other program (a backup or database tool) is using "
    "the patient database, then press Space to repeat the trial. If it happens again, "
    "write the measurements down and call your IT support: the trials saved before this "
    "one are kept, and the visit can be resumed at the next start."
)
VISIT_END = (
    "The trials saved before are kept, but the visit is not marked complete: it will be "
    "offered to resume (or to close as it is) the next time this patient is opened."
)
FLUSH_LIMIT_S = 15.0
"""How long the end of a visit waits for the journal's last writes (s)."""


def describe(event: ProtocolEvent) -> str:
    """The alert's main line for a ``not_saved`` event."""
    data = event.data
    reason = str(data.get("reason") or "the database refused the write")
    count = len(data.get("trial_ids") or [])
    steps = ", ".join(data.get("steps") or [])
    where = f" ({steps})" if steps else ""
    if count > 1:
        return f"{count} trials{where} were NOT saved: {reason}."
    if count == 1:
        return f"The trial{where} was NOT saved: {reason}."
    if data.get("visit_end"):
        return f"The end of the visit was NOT saved: {reason}."
    return f"The new trial could not be started and nothing was recorded: {reason}."


class StorageAlert:
    """Shows ``not_saved`` events to the clinician (one alert at a time).

    Parameters
    ----------
    parent : QWidget
        The assessment page (with ``bridge`` and ``run``); the alert is modal to its window.
    """

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.box: QMessageBox | None = None
        self.lines: list[str] = []

    def show(self, event: ProtocolEvent) -> QMessageBox:
        """Open the alert for ``event`` (or add it to the alert already open)."""
        line = describe(event)
        log.error("alert shown: recorded data not saved")
        box = self.box
        if box is not None and box.isVisible():
            self.lines.append(line)
            box.setText("\n".join(self.lines))
            return box
        self.lines = [line]
        box = QMessageBox(
            QMessageBox.Icon.Critical, TITLE, line, QMessageBox.StandardButton.Ok, self.parent
        )
        box.setObjectName("storageAlert")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.button(QMessageBox.StandardButton.Ok).setFocusPolicy(Qt.FocusPolicy.NoFocus)
        box.setDefaultButton(QMessageBox.StandardButton.Ok)  # Enter; a pedal's Space must
        box.setEscapeButton(QMessageBox.StandardButton.Ok)  # not dismiss it unread
        box.setInformativeText(VISIT_END if event.data.get("visit_end") else WHAT_TO_DO)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._closed)
        self.box = box
        self._bridge(running=False)
        box.open()  # modal without blocking the 60 Hz timer's call stack
        return box

    def _closed(self, _result: int) -> None:
        self.box = None
        run = getattr(self.parent, "run", None)
        if run is not None and not run.finished and self.parent.isVisible():
            self._bridge(running=True)

    def _bridge(self, *, running: bool) -> None:
        bridge = getattr(self.parent, "bridge", None)
        if bridge is None:
            return
        if running:
            bridge.start()
        else:
            bridge.stop()

    def end_of_visit(self, run: Any, journal: Any) -> str:
        """Wait for the visit's last writes; the status-bar words, honest about failures.

        Parameters
        ----------
        run : AssessmentRun
            The visit that just ended.
        journal : ThreadJournal or None
            Its journal, closed here.
        """
        if journal is None:
            return "Assessment saved."
        if getattr(journal, "waiting_for_server", False):
            journal.close()  # returns at once; the worker writes everything when it is back
            return (
                "The assessment is NOT yet on the clinic server (it cannot be reached): its "
                "trials and its end are written, in order, when the server is back. Keep "
                "DorsiLab open until then."
            )
        drained = journal.flush(FLUSH_LIMIT_S)
        stopped = journal.close()
        events = [e for e in run.check_storage(0.0) if e.kind == "not_saved"]
        for event in events:
            self.show(event)
        if not drained or not stopped:
            log.error("journal still writing after %.0f s at the end of a visit", FLUSH_LIMIT_S)
            return "The assessment is still being written to the disk; do not switch off."
        if events or not run.visit_end_saved:
            return "The assessment was NOT fully saved; see the alert."
        if run.not_saved:  # already shown; repeated where the clinician chose to
            n = len(run.not_saved)
            lost = "1 trial was" if n == 1 else f"{n} trials were"
            return f"Assessment saved ({lost} not saved, as shown earlier)."
        return "Assessment saved."
