"""The live assessment view: step list, plots with one big number, instructions, keys.

Layout (DESIGN.md "Screens"): the plan's steps on the left (✓ done, ● current), the live
area in the middle (title, big number readable from two metres, the plots of the current
test, the lunge's distance and pain entry), patient-facing instructions in large type on
the right, and the key legend at the bottom. This module only shows; the page
(:mod:`clinic_app.ui.assessment.page`) drives it.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRegularExpression, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.analysis.lunge import InputError, parse_distance_cm
from clinic_app.protocols.events import LiveStatus
from clinic_app.protocols.runner import StepProgress
from clinic_app.ui import theme
from clinic_app.ui.fit_label import FitLabel
from clinic_app.ui.plots.live_plots import AnglePlot, ForcePlot, Stabilogram, side_colour

BIG_PT = 64.0
"""The big number's size (pt): about 2.3 cm tall on a 96-dpi screen, legible at 2 m."""

INSTRUCTION_PT = 26.0
"""Patient-facing instructions (pt), shrunk as far as :data:`INSTRUCTION_MIN_PT` to fit."""

INSTRUCTION_MIN_PT = 16.0
"""Smallest size of the instructions (pt): still about 6 mm tall, readable at 2 m."""

TapeReader = Callable[[str], float | None]
"""Side → the distance (cm) to offer in the entry form, or None (see :func:`demo_tape_reader`)."""

DISTANCE_PATTERN = QRegularExpression(r"\d{0,3}([.,]\d{0,2})?")
"""What the knee-to-wall field accepts while typing: up to 999.99 (cm); the analysis
checks the range and says what is wrong in words."""

NUMERIC_ENTRY = "numericEntry"
"""Property of a text field that takes numbers only: the page keys pass through it."""

PAIN_PLACES = (
    ("none", "No pain"),
    ("anterior", "Front of the ankle"),
    ("posterior", "Calf / Achilles"),
)


class EntryForm(QFrame):
    """Knee-to-wall distance (cm) and pain (0–10 and where) after a lunge capture."""

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.distance = QLineEdit()
        self.distance.setPlaceholderText("e.g. 10.5")
        # Digits and one decimal point or comma only: the page's letter keys (R repeat,
        # N next test) then work while the cursor is here, instead of typing "r".
        self.distance.setValidator(QRegularExpressionValidator(DISTANCE_PATTERN, self.distance))
        self.distance.setProperty(NUMERIC_ENTRY, True)
        self.distance.setToolTip("Great-toe tip to the wall, to 0.1 cm")
        self.distance.setMaxLength(8)
        theme.set_font(self.distance, theme.TITLE_PT, bold=True)
        self.pain = QSpinBox()
        self.pain.setRange(0, 10)
        theme.set_font(self.pain, theme.TITLE_PT)
        self.place = QComboBox()
        for value, label in PAIN_PLACES:
            self.place.addItem(label, value)
        self.save = QPushButton("Save  (Enter)")
        self.save.setToolTip("Save this trial's distance and pain (Enter)")
        self.save.setProperty("primary", True)
        self.error = QLabel("")
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.offered = QLabel("")
        self.offered.setObjectName("demoReading")
        self.offered.setWordWrap(True)
        self.offered.setStyleSheet(f"color: {theme.DEMO}; font-weight: bold;")
        theme.set_font(self.offered, theme.SMALL_PT, bold=True)
        self.offered.hide()
        self._offered_text = ""
        # Two short rows (distance, pain, save; the demo note, where): the form takes little
        # height from the angle plot at 1366×768 and little width when the list is shown.
        self.distance.setMinimumWidth(90)
        self.distance.setMaximumWidth(180)
        self.place.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.place.setMinimumContentsLength(8)
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(theme.GAP // 2 + 2)
        grid.setVerticalSpacing(4)
        self.pain.setMaximumWidth(120)
        self.place.setMaximumWidth(260)
        grid.addWidget(QLabel("Knee-to-wall (cm)"), 0, 0, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.distance, 0, 1)
        grid.addWidget(self.save, 0, 2)
        grid.addWidget(self.offered, 1, 1, 1, 2)
        for row, (text, field) in enumerate((("Pain (0–10)", self.pain), ("Where", self.place))):
            caption = QLabel(text)
            caption.setBuddy(field)
            grid.addWidget(caption, row, 3, Qt.AlignmentFlag.AlignRight)
            grid.addWidget(field, row, 4)
        grid.addWidget(self.error, 2, 0, 1, 5)
        grid.setColumnStretch(5, 1)
        self.distance.returnPressed.connect(self.submitted)
        self.save.clicked.connect(self.submitted)
        QWidget.setTabOrder(self.distance, self.pain)  # the order the hint reads
        QWidget.setTabOrder(self.pain, self.place)
        QWidget.setTabOrder(self.place, self.save)
        # Enter saves from the pain box and the "where" list too, as the hint says.
        for field in (self.pain, self.place):
            field.installEventFilter(self)
        self.pain.valueChanged.connect(self._pain_changed)
        self.distance.textChanged.connect(self._distance_changed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter or Return in the pain box or the "where" list saves the trial."""
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not (isinstance(watched, QComboBox) and watched.view().isVisible())
        ):
            self.submitted.emit()
            return True
        return False

    def show_problem(self, message: str) -> None:
        """Say what is wrong and put the cursor where it is: the distance, else "where"."""
        self.error.setText(message)
        try:
            parse_distance_cm(self.distance.text())
        except InputError:
            self.distance.setFocus()
            self.distance.selectAll()
            return
        self.place.setFocus()

    def offer(self, distance_cm: float | None) -> None:
        """Prefill the distance (demo only): selected, so Enter accepts and typing replaces.

        The field is marked as the demo's reading until the clinician changes it.
        """
        if distance_cm is None:
            return
        self._offered_text = f"{distance_cm:.1f}"
        self.distance.setText(self._offered_text)
        self.distance.setStyleSheet(f"QLineEdit {{ border: 2px solid {theme.DEMO}; }}")
        self.offered.setText("DEMO tape reading · Enter accepts it")
        self.offered.setToolTip(
            "The simulated patient's distance, read off the tape by the demo from the "
            "simulated knee position (per-patient geometry, clinical.md §1.8, not "
            "validated) with tape noise, to 0.1 cm. Type to replace it."
        )
        self.offered.show()
        self.distance.setFocus()
        self.distance.selectAll()

    def is_offered(self) -> bool:
        """True while the distance shown is the demo's reading, untouched."""
        return bool(self._offered_text) and self.distance.text() == self._offered_text

    def _distance_changed(self, _text: str) -> None:
        if not self.is_offered() and self.offered.isVisible():
            self._offered_text = ""
            self.offered.hide()
            self.distance.setStyleSheet("")

    def _pain_changed(self, value: int) -> None:
        if value == 0:
            self.place.setCurrentIndex(0)

    def reset(self) -> None:
        """Empty the form for the next trial."""
        self._offered_text = ""
        self.offered.hide()
        self.distance.setStyleSheet("")
        self.distance.clear()
        self.pain.setValue(0)
        self.place.setCurrentIndex(0)
        self.error.clear()

    def values(self) -> tuple[str, int, str]:
        """(distance text, pain 0–10, location id)."""
        return self.distance.text(), self.pain.value(), str(self.place.currentData())


class LiveView(QWidget):
    """Everything on screen while a visit runs."""

    step_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("assessmentLive")
        self.tape_reader: TapeReader | None = None
        """Offers the knee-to-wall distance when the entry form opens (``--demo`` only)."""
        self._side = ""
        self.steps = QListWidget()
        self.steps.setObjectName("stepList")
        # 200 px holds "Balance R EC  0/3"; it may shrink (eliding) when the patient list
        # is shown beside the live view on a 1366-px screen.
        self.steps.setMinimumWidth(150)
        self.steps.setMaximumWidth(240)
        self.steps.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.steps.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        theme.set_font(self.steps, theme.BASE_PT)
        self.steps.itemClicked.connect(lambda item: self.step_clicked.emit(self.steps.row(item)))

        self.title = QLabel("")
        self.title.setWordWrap(True)
        theme.set_font(self.title, theme.TITLE_PT - 3, bold=True)
        self.big = QLabel("—")
        self.big.setObjectName("bigNumber")
        theme.set_font(self.big, BIG_PT, bold=True)
        self.big.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.big.setMinimumWidth(220)
        self.caption = QLabel("")
        self.caption.setObjectName("muted")
        theme.set_font(self.caption, theme.BASE_PT)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.heel = QLabel("")
        self.heel.setObjectName("heelIndicator")
        self.heel.setAlignment(Qt.AlignmentFlag.AlignRight)
        theme.set_font(self.heel, theme.BASE_PT + 1, bold=True)
        self.heel.hide()
        self._heel: tuple[str, str] = ("", "")
        self.trials = QListWidget()
        self.trials.setObjectName("trialList")
        self.trials.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.trials.setToolTip("Each trial of this test, and the side's result when it is done")
        self.trials.setWordWrap(True)  # a failure's reason is read whole, not scrolled to
        self.trials.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        theme.set_font(self.trials, theme.SMALL_PT + 0.5)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(10)

        self.angle = AnglePlot()
        self.stabilogram = Stabilogram()
        self.force = ForcePlot()
        self.plots = QStackedWidget()
        self.plots.addWidget(self.angle.widget)
        balance = QWidget()
        row = QHBoxLayout(balance)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.stabilogram.widget, 1)
        row.addWidget(self.force.widget, 1)
        self.plots.addWidget(balance)
        self.entry = EntryForm()
        self.entry.hide()
        self.log = QLabel("")
        self.log.setWordWrap(True)
        self.log.setObjectName("muted")
        theme.set_font(self.log, theme.BASE_PT)

        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.title)
        titles.addWidget(self.log)
        titles.addStretch(1)
        head.addLayout(titles, 1)
        numbers = QVBoxLayout()
        numbers.setSpacing(0)
        numbers.addWidget(self.big)
        numbers.addWidget(self.caption)
        numbers.addWidget(self.heel)
        head.addLayout(numbers)
        centre = QVBoxLayout()
        centre.addLayout(head)
        centre.addWidget(self.progress)
        centre.addWidget(self.plots, 1)
        centre.addWidget(self.entry)

        self.instruction = FitLabel(INSTRUCTION_PT, INSTRUCTION_MIN_PT)
        self.instruction.setObjectName("instruction")
        self.instruction.setTextFormat(Qt.TextFormat.PlainText)
        self.instruction.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        theme.set_font(self.instruction, INSTRUCTION_PT, bold=True)
        self.instruction.setMinimumWidth(260)
        self.instruction.setMaximumWidth(460)
        self.instruction.setStyleSheet(
            f"QLabel#instruction {{ background: {theme.SURFACE}; border: 1px solid "
            f"{theme.BORDER}; border-radius: {theme.RADIUS}px; padding: 16px; }}"
        )

        left = QVBoxLayout()
        left.addWidget(self.steps, 3)
        left.addWidget(self.trials, 2)
        self.trials.setMinimumWidth(150)
        self.trials.setMaximumWidth(240)
        body = QHBoxLayout()
        body.addLayout(left)
        # The instructions get a share of any extra width, so that a long one ("…the next
        # trial starts when you step on.") is never cut at 26 pt on a laptop screen.
        body.addLayout(centre, 3)
        body.addWidget(self.instruction, 2)

        self.alert = QLabel("")
        self.alert.setObjectName("fieldError")
        self.alert.setWordWrap(True)
        self.alert.hide()
        theme.set_font(self.alert, theme.BASE_PT + 1, bold=True)
        self.keys = QLabel("")
        self.keys.setTextFormat(Qt.TextFormat.RichText)
        self.keys.setWordWrap(True)
        self.keys.setObjectName("keyLegend")
        theme.set_font(self.keys, theme.BASE_PT + 1)
        self.keys.setStyleSheet(
            f"QLabel#keyLegend {{ background: {theme.SURFACE}; border-top: 1px solid "
            f"{theme.BORDER}; padding: 8px; }}"
        )
        self.finish_button = QPushButton("Finish visit")
        self.finish_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        bottom = QHBoxLayout()
        bottom.addWidget(self.keys, 1)
        bottom.addWidget(self.finish_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(body, 1)
        layout.addWidget(self.alert)
        layout.addLayout(bottom)
        self._shown: tuple[str, ...] = ()
        self._band: tuple[float, float] | None = None

    # ------------------------------------------------------------------ updates
    def show_heel(self, words: str, level: str) -> None:
        """The live heel indicator (lunge only); empty words hide it."""
        if (words, level) == self._heel:
            return
        self._heel = (words, level)
        self.heel.setText(words)
        colour = {"ok": theme.GOOD, "bad": theme.BAD}.get(level, theme.MUTED)
        self.heel.setStyleSheet(f"color: {colour};")
        self.heel.setVisible(bool(words))

    def show_trials(self, lines: list[tuple[str, str]]) -> None:
        """The current test's trials, one line each, and its summary: (text, level)."""
        self.trials.clear()
        for text, level in lines:
            item = QListWidgetItem(text)
            colour = {"bad": theme.BAD, "summary": theme.INK}.get(level, theme.INK)
            item.setForeground(QColor(colour))
            if level == "summary":
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.trials.addItem(item)
        self.trials.scrollToBottom()

    def clear_test(self) -> None:
        """Forget the last test's traces, lines and numbers (a new test is on screen)."""
        for plot in (self.angle, self.force):
            plot.clear()
        self.angle.mark_capture(None)
        self.angle.set_band(None)
        self._band = None
        self.stabilogram.clear()
        self.log.clear()
        self.show_heel("", "")
        self._shown = ()

    def show_steps(self, progress: list[StepProgress]) -> None:
        """Refill the step list (✓ done, ● current); only the current step is selected."""
        self.steps.clear()
        for p in progress:
            mark = {"done": "✓", "current": "●"}.get(p.state, "  ")
            item = QListWidgetItem(f"{mark} {p.step.label}  {p.valid}/{p.wanted}")
            extra = (
                f" · {p.not_valid} not valid (failed, invalid or stopped)" if p.not_valid else ""
            )
            item.setToolTip(p.step.description + extra)
            item.setForeground(
                Qt.GlobalColor.darkGray if p.state == "done" else Qt.GlobalColor.black
            )
            if p.state == "current":
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.steps.addItem(item)
            if p.state == "current":
                self.steps.setCurrentItem(item)
        # Wide enough for the longest name ("✓ Balance R EC foam  3/3"), never elided.
        widest = max(
            (self.steps.fontMetrics().horizontalAdvance(self.steps.item(i).text())
             for i in range(self.steps.count())),
            default=0,
        )  # fmt: skip
        self.steps.setMinimumWidth(min(max(150, widest + 40), 240))

    def show_test(self, protocol: str, side: str) -> None:
        """Show the plots of ``protocol`` in the side's hue."""
        self._side = side
        self.plots.setCurrentIndex(0 if protocol == "lunge" else 1)
        for plot in (self.angle, self.force, self.stabilogram):
            plot.set_side(side)
        colour = side_colour(side)
        self.big.setStyleSheet(f"color: {colour};")

    def show_status(self, status: LiveStatus) -> None:
        """Title, big number, instructions, key legend (only what changed is set).

        Called every frame: each widget is touched only when its own content changes, since
        a label set again repaints (and its parent behind it) even with the same text.
        """
        keys = key_legend(status.hint)
        shown = (status.title, status.big_text, status.big_caption, status.instruction, keys)
        if shown != self._shown:
            labels = (self.title, self.big, self.caption, self.instruction, self.keys)
            previous: tuple[str | None, ...] = self._shown or (None,) * len(labels)
            for label, text, before in zip(labels, shown, previous, strict=True):
                if text != before:
                    label.setText(text)
            self._shown = shown
        value = int(status.progress * 1000)
        if value != self.progress.value():
            self.progress.setValue(value)
        band = status.band if status.phase == "live" else None
        if band != self._band:
            self._band = band
            self.angle.set_band(band)
        entry = status.phase == "entry"
        opening = entry and self.entry.isHidden()
        if entry == self.entry.isHidden():
            self.entry.setVisible(entry)
        if opening and self.tape_reader is not None:
            self.entry.offer(self.tape_reader(self._side))

    def show_alert(self, text: str) -> None:
        """A warning line in red (device lost…); empty text hides it."""
        self.alert.setText(text)
        self.alert.setVisible(bool(text))


def key_legend(hint: str) -> str:
    """The hint ("Space: start the trial · N: next test") with its keys in bold, as rich
    text (the hint's words are the program's own, escaped all the same)."""
    parts = []
    for part in hint.split(" · "):
        key, colon, words = part.partition(": ")
        if colon and len(key) <= 6 and " " not in key.strip():
            parts.append(f"<b>{html.escape(key)}</b> {html.escape(words)}")
        else:
            parts.append(html.escape(part))
    return " · ".join(parts)


def demo_tape_reader(host: Any, patient_id: int | None) -> TapeReader | None:
    """The reader of :mod:`clinic_app.demo.tape` in ``--demo`` with a simulated patient.

    None outside the demo (or without a simulated patient): then nothing is prefilled.
    """
    simulated = getattr(host, "demo_patient", None)
    ctx = getattr(host, "ctx", None)
    if not getattr(ctx, "demo", False) or patient_id is None:
        return None
    # Imported here: the demo package (and the simulated devices' scipy) is for --demo only,
    # not for every clinic that opens the assessment screen.
    from clinic_app.demo.tape import DemoTapeReader
    from drivers.simulated import SimulatedPatient

    if not isinstance(simulated, SimulatedPatient):
        return None
    return DemoTapeReader.for_record(simulated, host.db.get_patient(patient_id)).reading_cm
