"""Results of a visit (``"results"`` in ``main_window.PAGES``): left and right side by side.

Each measure is shown per side with its reference verdict and the last visit's value;
below, every verdict of :func:`~clinic_app.analysis.session.interpret_session` (reference,
asymmetry, change vs MDC) as a traffic light **with its reason in words** (colour is never
the only carrier of meaning). Numbers come from :func:`summarize_session`; thresholds from
the clinic's norms (:func:`clinic_app.reports.source.clinic_norms`).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from clinic_app.analysis.session import SessionInterpretation, interpret_session
from clinic_app.analysis.summary import SessionSummary, summarize_session
from clinic_app.analysis.verdicts import LEVEL_WORDS, Verdict
from clinic_app.protocols.events import CONDITION_WORDS
from clinic_app.reports.source import clinic_norms, latest_session_with_results
from clinic_app.ui import theme
from clinic_app.ui.pages import PageHost
from clinic_app.ui.patient_page import format_date

log = logging.getLogger(__name__)

LEVELS = {
    level: (colour, LEVEL_WORDS[level])
    for level, colour in (
        ("green", theme.GOOD),
        ("amber", theme.CAUTION),
        ("red", theme.BAD),
        ("grey", theme.MUTED),
    )
}
"""Traffic light → (colour, word shown beside it)."""


def _fmt(value: float | None, digits: int = 1, unit: str = "") -> str:
    return "—" if value is None else f"{value:.{digits}f}{unit}"


def _summary(db: Any, visit: Any) -> SessionSummary:
    rows = [
        {f.name: getattr(t, f.name) for f in dataclasses.fields(t)}
        for t in visit.trials
        if t.result is not None
    ]
    s = visit.session
    return summarize_session(rows, session_id=s.id, examiner=s.examiner, site=s.inclinometer_site)


def light(level: str) -> QLabel:
    """A traffic-light chip: coloured dot plus its word."""
    colour, word = LEVELS.get(level, LEVELS["grey"])
    chip = QLabel(f"<span style='color:{colour}; font-size:18pt'>●</span> <b>{word}</b>")
    chip.setTextFormat(Qt.TextFormat.RichText)
    return chip


class ResultsPage(QWidget):
    """A visit's results; the visit is the host's current one, else the patient's latest."""

    def __init__(self, host: PageHost) -> None:
        super().__init__()
        self.host = host
        self.db: Any = host.db
        self.session_id: int | None = None
        self.interpretation: SessionInterpretation | None = None
        self.heading = QLabel("Results")
        self.heading.setWordWrap(True)
        theme.set_font(self.heading, theme.HEADLINE_PT, bold=True)
        self.plan_button = QPushButton("Plan…")
        self.report_button = QPushButton("Report…")
        self.new_button = QPushButton("New assessment")
        self.resume_button = QPushButton("Resume this visit…")
        self.resume_button.setToolTip("The visit was interrupted: continue its tests")
        self.resume_button.setProperty("primary", True)
        self.resume_button.hide()
        self.resume_button.clicked.connect(lambda: self.host.show_page("assessment"))
        self.plan_button.clicked.connect(lambda: self.host.show_page("plan"))
        self.report_button.clicked.connect(lambda: self.host.show_page("report"))
        self.new_button.clicked.connect(lambda: self.host.show_page("assessment"))
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        for button in (self.resume_button, self.new_button, self.plan_button, self.report_button):
            top.addWidget(button)
        self.body = QWidget()
        self.grid = QGridLayout(self.body)
        self.grid.setHorizontalSpacing(18)
        self.grid.setVerticalSpacing(8)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(theme.GAP * 2, theme.GAP, theme.GAP * 2, theme.GAP)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        host.session_changed.connect(lambda _sid: self.show_patient(host.current_patient_id))

    # ------------------------------------------------------------------ page contract
    def show_patient(self, patient_id: int | None) -> None:
        """Show the host's current visit of ``patient_id`` (or the latest with results)."""
        self._clear()
        self.resume_button.hide()
        if patient_id is None:
            self.heading.setText("Results — pick a patient first")
            return
        history = self.db.patient_history(patient_id)
        wanted = self.host.current_session_id or latest_session_with_results(self.db, patient_id)
        index = next((i for i, v in enumerate(history) if v.session.id == wanted), None)
        patient = self.db.get_patient(patient_id)
        if index is None:
            self.heading.setText(f"Results — {patient.full_name}: no visit with results yet")
            return
        visit = history[index]
        previous = next(
            (v for v in reversed(history[:index]) if any(t.result for t in v.trials)), None
        )
        current = _summary(self.db, visit)
        before = _summary(self.db, previous) if previous is not None else None
        self.session_id = visit.session.id
        self.interpretation = interpret_session(
            current, before, involved_side=patient.involved_side, norms=clinic_norms(self.db)
        )
        when = format_date(visit.session.started_at)
        interrupted = visit.session.status == "in_progress"
        note = " (interrupted visit: results so far)" if interrupted else ""
        self.heading.setText(f"Results — {patient.full_name} · {when}{note}")
        self.resume_button.setVisible(interrupted)
        self._fill(self.interpretation, previous.session.started_at if previous else None)

    # ------------------------------------------------------------------ drawing
    def _clear(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.interpretation = None

    def _label(
        self,
        text: str,
        row: int,
        col: int,
        *,
        bold: bool = False,
        size: float = 0.0,
        colour: str = "",
        span: int = 1,
    ) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        theme.set_font(label, size or theme.BASE_PT + 1, bold)
        if colour:
            label.setStyleSheet(f"color: {colour};")
        self.grid.addWidget(label, row, col, 1, span)
        return label

    def _fill(self, interp: SessionInterpretation, previous_at: str | None) -> None:
        s = interp.summary
        last = f"Last visit ({format_date(previous_at)})" if previous_at else "Last visit"
        heads = ("Measure", "Left", "Right", "Reference", last)
        for col, text in enumerate(heads):
            colour = {1: theme.LEFT, 2: theme.RIGHT}.get(col, theme.INK)
            self._label(text, 0, col, bold=True, size=theme.TITLE_PT, colour=colour)
        ref = {(v.measure, v.side): v for v in interp.reference}
        change = {(c.measure, c.side, c.condition): c for c in interp.changes}
        row = 1
        lunge_rows = (
            (
                "lunge_distance_cm",
                "Knee-to-wall distance",
                "distance_mean_cm",
                "distance_max_cm",
                " cm",
            ),
            ("lunge_angle_deg", "Tibial angle", "angle_mean_deg", "angle_max_deg", "°"),
        )
        for measure, name, mean_key, max_key, unit in lunge_rows:
            if not s.lunge:
                break
            self._label(f"{name}\n(mean of valid trials)", row, 0, bold=True)
            refs = []
            for col, side in ((1, "left"), (2, "right")):
                side_sum = s.lunge.get(side)
                mean = getattr(side_sum, mean_key) if side_sum else None
                peak = getattr(side_sum, max_key) if side_sum else None
                n = f"{side_sum.n_valid} valid" if side_sum else "not tested"
                big = self._label(
                    f"{_fmt(mean, 1, unit)}", row, col, bold=True, size=theme.TITLE_PT + 2
                )
                big.setToolTip(f"max {_fmt(peak, 1, unit)} · {n}")
                verdict = ref.get((measure, side))
                if verdict is not None:
                    refs.append(verdict)
            self._label(self._ref_words(refs), row, 3)
            self._label(self._change_words(change, measure, None), row, 4)
            row += 1
        for condition in ("eo_firm", "ec_firm", "eo_foam", "ec_foam"):
            sides = {side: s.balance.get(side, {}).get(condition) for side in ("left", "right")}
            if not any(sides.values()):
                continue
            words = CONDITION_WORDS[condition]
            self._label(f"Balance, {words}\n(COP velocity · ellipse)", row, 0, bold=True)
            for col, side in ((1, "left"), (2, "right")):
                b = sides[side]
                if b is None:
                    self._label("not tested", row, col)
                    continue
                v = b.metrics_mean.get("mean_velocity_cm_s")
                area = b.metrics_mean.get("ellipse_area_95_cm2")
                fails = f" · {b.n_failed} failed" if b.n_failed else ""
                text = f"{_fmt(v, 2, ' cm/s')} · {_fmt(area, 1, ' cm²')}{fails}"
                label = self._label(text, row, col, bold=True, size=theme.BASE_PT + 2)
                label.setToolTip("mean COP velocity · 95 % prediction ellipse area")
            no_ref = self._label("no reference", row, 3, colour=theme.MUTED)
            no_ref.setToolTip("No published single-leg COP velocity reference for runners")
            self._label(
                self._change_words(change, "balance_mean_velocity_cm_s", condition), row, 4
            )
            row += 1
        self._label("What it means", row, 0, bold=True, size=theme.TITLE_PT, span=5)
        row += 1
        verdicts: list[Verdict] = [a.verdict for a in interp.asymmetry]
        verdicts += list(interp.reference) + [c.verdict for c in interp.changes]
        for verdict in verdicts:
            self.grid.addWidget(light(verdict.level), row, 0)
            self._label(verdict.text, row, 1, span=4)  # the text names its basis and tag
            row += 1
        self.grid.setRowStretch(row, 1)
        self.grid.setColumnStretch(3, 1)
        self.grid.setColumnStretch(4, 1)

    @staticmethod
    def _ref_words(verdicts: list[Verdict]) -> str:
        if not verdicts:
            return "—"
        parts = []
        for v in verdicts:
            _, word = LEVELS.get(v.level, LEVELS["grey"])
            parts.append(f"{(v.side or '').capitalize()}: {v.status.replace('_', ' ')} ({word})")
        return "\n".join(parts)

    @staticmethod
    def _change_words(change: dict[Any, Any], measure: str, condition: str | None) -> str:
        parts = []
        for side in ("left", "right"):
            c = change.get((measure, side, condition))
            if c is None or c.previous is None:
                continue
            real = "real change" if c.real else "within MDC"
            delta = "" if c.delta is None else f" ({c.delta:+.1f}, {real})"
            parts.append(f"{side.capitalize()}: {c.previous:.1f}{delta}")
        return "\n".join(parts) or "—"
