"""The patient page: header card, visits, and what to do next.

Without a selected patient the page shows a short welcome saying how to start.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.logging_setup import redactor
from clinic_app.ui import theme
from clinic_app.ui.history.sparklines import TrendSparklines
from clinic_app.ui.patients.export_dialog import add_export_button
from clinic_app.ui.patients.form import LEGS, SEXES, SIDES
from clinic_app.ui.patients.void_visit import void_or_restore
from clinic_app.ui.plain_text import plain

log = logging.getLogger(__name__)

SESSION_ID_ROLE = Qt.ItemDataRole.UserRole
_SEX = dict(SEXES)
_SIDE = dict(SIDES)
_LEG = dict(LEGS)
STATUS_WORDS = {"in_progress": "unfinished", "complete": "complete", "abandoned": "abandoned"}


def format_date(iso: str | None) -> str:
    """``2026-11-24`` or ``2026-11-24T09:15:00Z`` as "24 Nov 2026" ("—" when missing)."""
    if not iso:
        return "—"
    try:
        day = datetime.fromisoformat(iso.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            day = date.fromisoformat(iso[:10])
        except ValueError:
            return iso
    return f"{day.day} {day:%b %Y}"


def _fact(caption: str) -> tuple[QLabel, QLabel]:
    label = QLabel(caption)
    label.setObjectName("muted")
    value = QLabel("—")
    theme.set_font(value, theme.BASE_PT + 2, bold=True)
    value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label, value


class PatientPage(QWidget):
    """Header card, sessions list and actions for the host's current patient."""

    session_activated = Signal(int)

    def __init__(self, host: Any) -> None:
        super().__init__()
        self.host = host
        self.patient_id: int | None = None
        self.setObjectName("page_patient")

        self.inner = QStackedWidget()
        self.welcome = QLabel(
            "Select a patient on the left, or press Ctrl+N to add a new patient.\n\n"
            "Ctrl+F searches by name, record number or birth date."
        )
        self.welcome.setObjectName("muted")
        self.welcome.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.welcome.setWordWrap(True)
        theme.set_font(self.welcome, theme.BASE_PT + 2)
        self.inner.addWidget(self.welcome)
        self.inner.addWidget(self._build_record())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(theme.GAP, 0, 0, 0)
        layout.addWidget(self.inner)

    def _build_record(self) -> QWidget:
        record = QWidget()
        card = QFrame()
        card.setObjectName("card")
        self.name_label = plain(QLabel())
        self.name_label.setObjectName("patientName")
        theme.set_font(self.name_label, theme.HEADLINE_PT, bold=True)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = plain(QLabel())
        self.subtitle.setObjectName("muted")
        self.subtitle.setWordWrap(True)  # a long line of running history wraps at 1366 px
        grid = QGridLayout()
        grid.setHorizontalSpacing(theme.GAP * 3)
        grid.setVerticalSpacing(2)
        self.facts: dict[str, QLabel] = {}
        captions = [
            ("age", "Age"),
            ("sex", "Sex"),
            ("height", "Height"),
            ("mass", "Body mass"),
            ("dominant", "Dominant leg"),
            ("involved", "Involved side"),
            ("last_visit", "Last visit"),
            ("next_retest", "Next re-test due"),
        ]
        per_row = 4  # two rows of four: the card stays narrow beside the patient list
        for index, (key, caption) in enumerate(captions):
            label, value = _fact(caption)
            row, column = 2 * (index // per_row), index % per_row
            grid.addWidget(label, row, column)
            grid.addWidget(value, row + 1, column)
            self.facts[key] = value
        grid.setColumnStretch(per_row, 1)
        self.edit_button = QPushButton("Edit details  (Ctrl+E)")
        self.edit_button.setObjectName("editPatient")
        head = QHBoxLayout()
        names = QVBoxLayout()
        names.addWidget(self.name_label)
        names.addWidget(self.subtitle)
        head.addLayout(names, 1)
        head.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignTop)
        # Record-level actions sit together, so the visit actions below fit 1366 px.
        self.export_button = add_export_button(self, head)  # export dialog (issue 14 §5)
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(theme.GAP * 2, theme.GAP, theme.GAP * 2, theme.GAP)
        card_layout.addLayout(head)
        card_layout.addSpacing(theme.GAP)
        card_layout.addLayout(grid)

        self.assess_button = QPushButton("New assessment  (Ctrl+T)")
        self.assess_button.setObjectName("newAssessment")
        self.assess_button.setProperty("primary", True)
        self.report_button = QPushButton("Report  (Ctrl+R)")
        self.report_button.setObjectName("report")
        self.handout_button = QPushButton("Plan and handout  (Ctrl+L)")
        self.handout_button.setObjectName("handout")
        self.history_button = QPushButton("History  (Ctrl+H)")
        self.history_button.setObjectName("history")
        actions = QHBoxLayout()
        for button in (
            self.assess_button,
            self.report_button,
            self.handout_button,
            self.history_button,
        ):
            button.setMinimumHeight(button.sizeHint().height() + 8)
            actions.addWidget(button)
        actions.addStretch(1)
        self.assess_button.clicked.connect(lambda: self.host.show_page("assessment"))
        self.report_button.clicked.connect(lambda: self.host.show_page("report"))
        self.handout_button.clicked.connect(lambda: self.host.show_page("plan"))
        self.history_button.clicked.connect(lambda: self.host.show_page("history"))

        visits = QLabel("Visits")
        theme.set_font(visits, theme.TITLE_PT, bold=True)
        self.open_button = QPushButton("Open results  (Enter)")
        self.open_button.setObjectName("openVisit")
        self.void_button = QPushButton("Void visit…")
        self.void_button.setObjectName("voidVisit")
        self.void_button.setToolTip(
            "A visit recorded by mistake: kept and restorable, but counted nowhere"
        )
        self.open_button.clicked.connect(self._open_selected)
        self.void_button.clicked.connect(self.void_selected)
        visits_head = QHBoxLayout()
        visits_head.addWidget(visits)
        visits_head.addStretch(1)
        visits_head.addWidget(self.open_button)
        visits_head.addWidget(self.void_button)
        self.sessions = QListWidget()
        self.sessions.setObjectName("sessionList")
        self.sessions.itemActivated.connect(self._session_activated)
        self.sessions.currentItemChanged.connect(lambda *_: self._sync_visit_buttons())
        self.sessions_empty = QLabel(
            "No visits yet. Press “New assessment” (Ctrl+T) to measure the lunge test and "
            "single-leg balance; the visit will appear here."
        )
        self.sessions_empty.setObjectName("muted")
        self.sessions_empty.setWordWrap(True)
        self.sessions_empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

        layout = QVBoxLayout(record)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(theme.GAP)
        layout.addWidget(card)
        layout.addLayout(actions)
        self.trends = TrendSparklines()
        layout.addWidget(self.trends)
        layout.addLayout(visits_head)
        self.visits = QStackedWidget()
        self.visits.addWidget(self.sessions_empty)
        self.visits.addWidget(self.sessions)
        layout.addWidget(self.visits, 1)
        return record

    # ------------------------------------------------------------ page API
    def show_patient(self, patient_id: int | None) -> None:
        """Show ``patient_id`` (None: the welcome text)."""
        self.patient_id = patient_id
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Read the patient and their sessions again."""
        if self.patient_id is None:
            self.inner.setCurrentWidget(self.welcome)
            return
        db = self.host.db
        patient = db.get_patient(self.patient_id)
        history = list(reversed(db.patient_history(self.patient_id)))  # newest first
        sessions = [visit.session for visit in history]
        counted = [visit.session for visit in history if visit.counts]
        # A second line of defence: names on screen never reach the log, even by mistake.
        redactor.add(patient.first_name, patient.last_name, patient.record_number or "")
        self.inner.setCurrentIndex(1)
        deleted = " (deleted)" if patient.is_deleted else ""
        self.name_label.setText(f"{patient.first_name} {patient.last_name}{deleted}")
        bits = []
        if patient.record_number:
            bits.append(f"Record number {patient.record_number}")
        bits.append(f"born {format_date(patient.birth_date.isoformat())}")
        if patient.weekly_km is not None:
            bits.append(f"runs {patient.weekly_km:g} km a week")
        if patient.years_running is not None:
            bits.append(f"for {patient.years_running:g} years")
        self.subtitle.setText(" · ".join(bits))
        self.facts["age"].setText(f"{patient.age_years()} years")
        self.facts["sex"].setText(_SEX.get(patient.sex or "unspecified", "—"))
        self.facts["mass"].setText("—" if patient.mass_kg is None else f"{patient.mass_kg:g} kg")
        height = patient.height_cm
        self.facts["height"].setText("—" if height is None else f"{height:g} cm")
        self.facts["dominant"].setText(_LEG.get(patient.dominant_leg or "unknown", "—"))
        side = patient.involved_side or "none"
        self.facts["involved"].setText(_SIDE.get(side, "—"))
        colour = {"left": theme.LEFT, "right": theme.RIGHT}.get(side, theme.INK)
        self.facts["involved"].setStyleSheet(f"color: {colour};")
        last = counted[0].started_at if counted else None
        self.facts["last_visit"].setText(format_date(last) if last else "no visit yet")
        self.facts["next_retest"].setText(self._next_retest(db, counted))
        for button in (self.assess_button, self.edit_button):
            button.setEnabled(not patient.is_deleted)

        chosen = self.selected_session_id()
        self.sessions.clear()
        for visit in history:
            item = QListWidgetItem(self._describe_session(visit.session, visit.trials))
            item.setData(SESSION_ID_ROLE, int(visit.session.id))
            if not visit.counts:  # voided or empty: listed, greyed, counted nowhere
                item.setForeground(QColor(theme.MUTED))
                font = item.font()
                font.setItalic(True)
                item.setFont(font)
            self.sessions.addItem(item)
            if visit.session.id == chosen:
                self.sessions.setCurrentItem(item)
        self.visits.setCurrentWidget(self.sessions if sessions else self.sessions_empty)
        self._sync_visit_buttons()
        self.trends.show_history(db, self.patient_id)

    # ------------------------------------------------------------ internals
    def selected_session_id(self) -> int | None:
        """The visit selected in the list, or None."""
        item = self.sessions.currentItem()
        return None if item is None else int(item.data(SESSION_ID_ROLE))

    def _sync_visit_buttons(self) -> None:
        session_id = self.selected_session_id()
        self.open_button.setEnabled(session_id is not None)
        self.void_button.setEnabled(session_id is not None)
        voided = session_id is not None and self.host.db.get_session(session_id).is_voided
        self.void_button.setText("Restore visit…" if voided else "Void visit…")

    @Slot()
    def _open_selected(self) -> None:
        session_id = self.selected_session_id()
        if session_id is not None:
            self.session_activated.emit(session_id)

    @Slot()
    def void_selected(self) -> None:
        """Void the selected visit (asking why), or restore it if it is voided."""
        session_id = self.selected_session_id()
        if session_id is None:
            return
        session = self.host.db.get_session(session_id)
        when = format_date(session.started_at)
        if void_or_restore(self.window(), self.host.db, session, when):
            self.refresh()
            self.host.notify(f"Visit of {when} {'restored' if session.is_voided else 'voided'}.")

    @staticmethod
    def _describe_session(session: Any, trials: Sequence[Any]) -> str:
        """One line per visit: date, status, trials recorded, examiner."""
        words = [format_date(session.started_at)]
        if session.is_voided:
            reason = " ".join((session.void_reason or "").split())
            words.append(f"VOIDED: {reason}" if reason else "VOIDED")
        words.append(STATUS_WORDS.get(session.status, session.status))
        recorded = [t for t in trials if not t.practice]
        lunges = sum(t.protocol == "lunge" for t in recorded)
        balance = sum(t.protocol == "balance" for t in recorded)
        if recorded:
            words.append(f"{lunges} lunge and {balance} balance trials")
        else:
            words.append("nothing measured (not counted)")
        if session.examiner:
            words.append(f"examiner {session.examiner}")
        return "  ·  ".join(words)

    @staticmethod
    def _next_retest(db: Any, sessions: list[Any]) -> str:
        """The re-test date of the newest plan, if storage can tell."""
        latest_plan = getattr(db, "latest_plan", None)
        for session in sessions:
            if latest_plan is None:
                break
            plan = latest_plan(session.id)
            if plan is None:
                continue
            body = getattr(plan, "plan", plan)
            retest = body.get("retest_date") if isinstance(body, dict) else None
            if retest:
                return format_date(retest)
        return "not planned yet"

    @Slot(QListWidgetItem)
    def _session_activated(self, item: QListWidgetItem) -> None:
        self.session_activated.emit(int(item.data(SESSION_ID_ROLE)))
