"""The first screen of an assessment: choose the tests, or resume an interrupted visit."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.protocols.balance import DURATIONS_S
from clinic_app.protocols.events import CONDITION_WORDS
from clinic_app.protocols.plan import CONDITIONS, SessionPlan
from clinic_app.ui import theme
from clinic_app.ui.plain_text import plain


class SetupView(QWidget):
    """Test choice (lunge, balance conditions, trial length, practice) and resume offer."""

    start_requested = Signal()
    resume_requested = Signal(int)
    close_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("assessmentSetup")
        self.heading = plain(QLabel("New assessment"))
        self.heading.setWordWrap(True)
        theme.set_font(self.heading, theme.HEADLINE_PT, bold=True)

        self.resume_box = QFrame()
        self.resume_box.setObjectName("resumeBox")
        self.resume_box.setStyleSheet(
            f"#resumeBox {{ border: 2px solid {theme.CAUTION}; border-radius: {theme.RADIUS}px;"
            f" background: #FFF6E5; }}"
        )
        self.resume_text = plain(QLabel())
        self.resume_text.setWordWrap(True)
        self.resume_button = QPushButton("Resume this visit")
        self.close_button = QPushButton("Close it as it is")
        row = QHBoxLayout(self.resume_box)
        row.addWidget(self.resume_text, 1)
        row.addWidget(self.resume_button)
        row.addWidget(self.close_button)
        self.resume_box.hide()
        self._resume_id: int | None = None
        self.resume_button.clicked.connect(lambda: self._emit(self.resume_requested))
        self.close_button.clicked.connect(lambda: self._emit(self.close_requested))

        tests = QGroupBox("Tests for this visit")
        tests.setMaximumWidth(760)  # short fields stay near their labels on a wide screen
        form = QVBoxLayout(tests)
        self.lunge = QCheckBox("Weight-bearing lunge test, both legs")
        self.lunge.setChecked(True)
        form.addWidget(self.lunge)
        self.conditions: dict[str, QCheckBox] = {}
        for condition in CONDITIONS:
            box = QCheckBox(f"Single-leg balance, {CONDITION_WORDS[condition]}")
            box.setChecked(condition in ("eo_firm", "ec_firm"))
            self.conditions[condition] = box
            form.addWidget(box)
        options = QFormLayout()
        self.duration = QComboBox()
        for seconds in DURATIONS_S:
            self.duration.addItem(f"{seconds:.0f} s", seconds)
        self.duration.setToolTip(
            "10 s: Knapp 2011 [C] (default) · 20 s: BESS-style [S] · 30 s: common [C]"
        )
        self.practice = QCheckBox("Practice trials first")
        self.practice.setChecked(True)
        self.practice.setToolTip(
            "Lunge: 2 practice lunges; balance: 1 practice trial (clinic defaults)"
        )
        self.examiner = QLineEdit()
        self.examiner.setPlaceholderText("initials")
        self.examiner.setMaxLength(40)
        options.addRow("Balance trial length", self.duration)
        options.addRow("", self.practice)
        options.addRow("Examiner", self.examiner)
        form.addLayout(options)

        self.start_button = QPushButton("Start assessment")
        self.start_button.setProperty("primary", True)
        theme.set_font(self.start_button, theme.TITLE_PT, bold=True)
        self.start_button.setMinimumHeight(56)
        self.start_button.clicked.connect(self.start_requested)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {theme.BAD};")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(theme.GAP * 2, theme.GAP, theme.GAP * 2, theme.GAP)
        layout.addWidget(self.heading)
        layout.addWidget(self.resume_box)
        layout.addWidget(tests)
        layout.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.message)
        layout.addStretch(1)

    def _emit(self, signal: SignalInstance) -> None:
        if self._resume_id is not None:
            signal.emit(self._resume_id)

    def offer_resume(self, session_id: int | None, text: str = "") -> None:
        """Show (or hide, with None) the interrupted visit that can be resumed."""
        self._resume_id = session_id
        self.resume_text.setText(text)
        self.resume_box.setVisible(session_id is not None)

    def plan(self, body_mass_kg: float | None, extra_keys: set[str] | None = None) -> SessionPlan:
        """The chosen plan (plus steps that already have trials, for a resumed visit).

        Raises
        ------
        ValueError
            When no test is chosen.
        """
        conditions = {c for c, box in self.conditions.items() if box.isChecked()}
        lunge = self.lunge.isChecked()
        for key in extra_keys or set():
            parts = key.split(":")
            if parts[0] == "lunge":
                lunge = True
            elif len(parts) == 3:
                conditions.add(parts[2])
        return SessionPlan.build(
            lunge=lunge,
            conditions=conditions,
            planned_s=float(self.duration.currentData()),
            practice=self.practice.isChecked(),
            body_mass_kg=body_mass_kg,
        )
