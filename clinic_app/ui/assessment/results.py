"""Results of a visit (``"results"`` in ``main_window.PAGES``): left and right side by side.

Each measure is shown per side with its reference verdict and the last visit's value;
below, every verdict of :func:`~clinic_app.analysis.session.interpret_session` (reference,
asymmetry, change vs MDC) as a traffic light **with its reason in words** (colour is never
the only carrier of meaning). Numbers come from :func:`summarize_session`; thresholds from
the clinic's norms (:func:`clinic_app.reports.source.clinic_norms`).
"""

from __future__ import annotations

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

from clinic_app.analysis.session import SessionInterpretation
from clinic_app.analysis.verdicts import LEVEL_WORDS, Verdict, failure_words
from clinic_app.errors import UserError
from clinic_app.numbers import fixed, signed
from clinic_app.plan import Finding, load_library
from clinic_app.plan.pain import PainState, pain_findings, pain_state
from clinic_app.protocols.events import CONDITION_SHORT, CONDITION_WORDS
from clinic_app.reports.context import latest_session_with_results, session_context
from clinic_app.reports.words import pain_words
from clinic_app.ui import theme
from clinic_app.ui.assessment.results_words import STATUS_WORDS, meaning_lines
from clinic_app.ui.pages import PageHost
from clinic_app.ui.patients.page import format_date
from clinic_app.ui.plain_text import plain, tooltip

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
    return "—" if value is None else f"{fixed(value, digits)}{unit}"


def dot(level: str) -> str:
    """Rich text of a traffic light: the coloured dot and its word (never colour alone)."""
    colour, word = LEVELS.get(level, LEVELS["grey"])
    return f"<span style='color:{colour}'>●</span>&nbsp;<b>{word}</b>"


def light(level: str) -> QLabel:
    """A traffic-light chip: coloured dot plus its word."""
    colour, word = LEVELS.get(level, LEVELS["grey"])
    chip = QLabel(f"<span style='color:{colour}; font-size:18pt'>●</span> <b>{word}</b>")
    chip.setTextFormat(Qt.TextFormat.RichText)
    return chip


SIDE_LETTER = {"left": "L", "right": "R"}
LUNGE_ROWS = (
    ("lunge_distance_cm", "Knee-to-wall", "distance_mean_cm", "distance_max_cm", "cm"),
    ("lunge_angle_deg", "Tibial angle", "angle_mean_deg", "angle_max_deg", "°"),
)
"""(measure, name, mean field, max field, unit) of the two lunge rows."""

BALANCE_MEASURE = "balance_mean_velocity_cm_s"


def _status(verdict: Verdict) -> str:
    return STATUS_WORDS.get(verdict.status, verdict.status.replace("_", " "))


def _join_unit(value: str, unit: str) -> str:
    if value == "—":
        return value
    return f"{value}°" if unit == "°" else f"{value} {unit}"


class ResultsPage(QWidget):
    """A visit's results; the visit is the host's current one, else the patient's latest.

    Layout: the left/right table on top, never scrolled (at 1366×768 a whole visit — lunge
    both sides, balance eyes open and closed both sides — fits), and "What it means"
    below it, the one part that scrolls when the visit has many verdicts.
    """

    def __init__(self, host: PageHost) -> None:
        super().__init__()
        self.host = host
        self.db: Any = host.db
        self.session_id: int | None = None
        self.interpretation: SessionInterpretation | None = None
        self.pain: PainState | None = None
        self.pain_notes: list[Finding] = []
        self.heading = plain(QLabel("Results"))
        self.heading.setWordWrap(True)
        theme.set_font(self.heading, theme.TITLE_PT + 2, bold=True)
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
        self.table = QFrame()
        self.table.setObjectName("resultsTable")
        self.grid = QGridLayout(self.table)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(theme.GAP)
        self.grid.setVerticalSpacing(theme.GAP // 2)
        self.meaning_title = QLabel("What it means")
        theme.set_font(self.meaning_title, theme.BASE_PT + 2, bold=True)
        self.meaning = QWidget()
        self.meaning_grid = QGridLayout(self.meaning)
        self.meaning_grid.setContentsMargins(0, 0, theme.GAP, 0)
        self.meaning_grid.setHorizontalSpacing(theme.GAP)
        self.meaning_grid.setVerticalSpacing(4)
        self.meaning_scroll = QScrollArea()
        self.meaning_scroll.setObjectName("meaningScroll")
        self.meaning_scroll.setWidgetResizable(True)
        self.meaning_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.meaning_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.meaning_scroll.setWidget(self.meaning)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(theme.GAP * 2, theme.GAP, theme.GAP * 2, theme.GAP)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addSpacing(theme.GAP // 2)
        layout.addWidget(self.meaning_title)
        layout.addWidget(self.meaning_scroll, 1)
        host.session_changed.connect(lambda _sid: self.show_patient(host.current_patient_id))

    # ------------------------------------------------------------------ page contract
    def show_patient(self, patient_id: int | None) -> None:
        """Show the host's current visit of ``patient_id`` (or the latest with results)."""
        self._clear()
        self.resume_button.hide()
        self.meaning_title.hide()
        if patient_id is None:
            self.heading.setText("Results — pick a patient first")
            return
        wanted = self.host.current_session_id or latest_session_with_results(self.db, patient_id)
        patient = self.db.get_patient(patient_id)
        who = f"{patient.full_name}, {patient.age_years()} y"
        try:
            # Counted visits only: a voided or empty visit is never "the last visit".
            ctx = session_context(self.db, patient_id, wanted) if wanted else None
        except UserError:
            ctx = None
        if ctx is None:
            self.heading.setText(f"Results — {who}: no counted visit with results yet")
            return
        visit = ctx.visit
        previous = ctx.history[ctx.index - 1] if ctx.index > 0 else None
        self.session_id = visit.session.id
        self.interpretation = ctx.interp
        self.pain = pain_state(ctx.interp.summary, ctx.norms)
        self.pain_notes = pain_findings(self.pain, load_library(), ctx.norms)
        when = format_date(visit.session.started_at)
        interrupted = visit.session.status == "in_progress"
        note = " (interrupted visit: results so far)" if interrupted else ""
        self.heading.setText(f"Results — {who} · {when}{note}")
        self.heading.setToolTip(
            tooltip(f"Visit of {when}, examiner {visit.session.examiner or '—'}")
        )
        self.resume_button.setVisible(interrupted)
        self._fill(self.interpretation, previous.session.started_at if previous else None)

    def texts(self) -> list[str]:
        """Every text of the table and of "What it means" (tests, accessibility checks)."""
        out = []
        for grid in (self.grid, self.meaning_grid):
            for i in range(grid.count()):
                item = grid.itemAt(i)
                widget = item.widget() if item is not None else None
                if isinstance(widget, QLabel):
                    out.append(widget.text())
        return out

    # ------------------------------------------------------------------ drawing
    def _clear(self) -> None:
        for grid in (self.grid, self.meaning_grid):
            while grid.count():
                item = grid.takeAt(0)
                widget = item.widget() if item is not None else None
                if widget is not None:
                    widget.deleteLater()
            for row in range(grid.rowCount()):
                grid.setRowStretch(row, 0)
        self.interpretation = None

    def _cell(
        self,
        text: str,
        row: int,
        col: int,
        *,
        bold: bool = False,
        size: float = 0.0,
        colour: str = "",
        tip: str = "",
        wrap: bool = False,
    ) -> QLabel:
        """A table cell; rich text when ``text`` holds markup."""
        label = QLabel(text)
        label.setWordWrap(wrap)
        theme.set_font(label, size or theme.BASE_PT, bold)
        if colour:
            label.setStyleSheet(f"color: {colour};")
        if tip:
            label.setToolTip(tip)
        self.grid.addWidget(label, row, col, Qt.AlignmentFlag.AlignVCenter)
        return label

    def _measure(self, name: str, detail: str, row: int, tip: str) -> None:
        muted = f"<span style='color:{theme.MUTED}; font-weight:normal'>{detail}</span>"
        self._cell(f"<b>{name}</b><br>{muted}", row, 0, size=theme.BASE_PT + 1, tip=tip)

    def _fill(self, interp: SessionInterpretation, previous_at: str | None) -> None:
        s = interp.summary
        heads = ("Measure", "Left", "Right", "Reference", "Left–right", "Last visit")
        for col, text in enumerate(heads):
            colour = {1: theme.LEFT, 2: theme.RIGHT}.get(col, theme.INK)
            self._cell(text, 0, col, bold=True, size=theme.BASE_PT + 3, colour=colour)
        when = format_date(previous_at) if previous_at else "none with results"
        self._cell(when, 1, 5, colour=theme.MUTED, tip="Date of the visit compared with")
        ref = {(v.measure, v.side): v for v in interp.reference}
        asym = {(a.measure, a.condition): a for a in interp.asymmetry}
        change = {(c.measure, c.side, c.condition): c for c in interp.changes}
        row = 2  # row 1: the last visit's date
        for measure, name, mean_key, max_key, unit in LUNGE_ROWS if s.lunge else ():
            self._measure(
                name, "mean of valid trials", row, f"Mean of the valid trials ({unit}); "
                "the tooltip of each value gives the maximum and the number of trials",
            )  # fmt: skip
            refs = []
            for col, side in ((1, "left"), (2, "right")):
                side_sum = s.lunge.get(side)
                mean = getattr(side_sum, mean_key) if side_sum else None
                peak = getattr(side_sum, max_key) if side_sum else None
                n = f"{side_sum.n_valid} valid" if side_sum else "not tested"
                self._cell(
                    _join_unit(_fmt(mean, 1), unit),
                    row,
                    col,
                    bold=True,
                    size=theme.TITLE_PT,
                    tip=f"max {_join_unit(_fmt(peak, 1), unit)} · {n}",
                )
                verdict = ref.get((measure, side))
                if verdict is not None:
                    refs.append(verdict)
            self._ref_cell(refs, row)
            self._asym_cell(asym.get((measure, None)), row, unit)
            self._change_cell(change, measure, None, row)
            row += 1
        if s.lunge:
            row = self._pain_row(interp, row)
        for condition in ("eo_firm", "ec_firm", "eo_foam", "ec_foam"):
            sides = {side: s.balance.get(side, {}).get(condition) for side in ("left", "right")}
            if not any(sides.values()):
                continue
            self._measure(
                "Balance " + CONDITION_SHORT[condition], CONDITION_WORDS[condition], row,
                "Single-leg stance: mean COP velocity (cm/s, large) and 95 % prediction "
                "ellipse area (cm², below), means of the valid trials",
            )  # fmt: skip
            own: list[Verdict] = []
            for col, side in ((1, "left"), (2, "right")):
                b = sides[side]
                if b is None:
                    self._cell("not tested", row, col, colour=theme.MUTED)
                    continue
                v = b.metrics_mean.get("mean_velocity_cm_s")
                area = b.metrics_mean.get("ellipse_area_95_cm2")
                judged = [x for x in interp.balance if x.side == side and x.condition == condition]
                own += judged
                not_held = any(x.status == "not_held" for x in judged)
                fails = ""
                if b.n_failed:
                    colour = theme.CAUTION if not_held else theme.MUTED
                    fails = f" · <span style='color:{colour}'>{b.n_failed} failed</span>"
                small = f"{_fmt(area, 1, ' cm²')}{fails}"
                reasons = ", ".join(dict.fromkeys(failure_words(r) for r in b.failure_reasons))
                self._cell(
                    f"<b>{_fmt(v, 2, ' cm/s')}</b><br><span style='font-size:{theme.BASE_PT}pt;"
                    f" color:{theme.MUTED}'>{small}</span>",
                    row,
                    col,
                    size=theme.TITLE_PT - 2,
                    tip="mean COP velocity · 95 % prediction ellipse area"
                    + (f" · {b.n_valid} valid, {b.n_failed} failed ({reasons})" if b.n_failed
                       else ""),
                )  # fmt: skip
            if own:
                self._ref_cell(own, row)
            else:
                self._cell(
                    f"{dot('grey')} no reference",
                    row,
                    3,
                    tip="No published single-leg reference for this condition",
                )
            self._asym_cell(asym.get((BALANCE_MEASURE, condition)), row, "cm/s")
            self._change_cell(change, BALANCE_MEASURE, condition, row)
            row += 1
        self.grid.setColumnStretch(5, 1)
        self._fill_meaning(interp)

    def _pain_row(self, interp: SessionInterpretation, row: int) -> int:
        """Lunge pain per side (worst of any trial) in the pain rule's colours."""
        self._measure(
            "Lunge pain", "worst, 0–10", row,
            "Worst pain reported on the lunge (practice trials included) and where",
        )  # fmt: skip
        pain = self.pain
        for col, side in ((1, "left"), (2, "right")):
            lunge = interp.summary.lunge.get(side)
            if lunge is None:
                self._cell("not tested", row, col, colour=theme.MUTED)
                continue
            nrs = lunge.pain_max_nrs or 0
            if nrs == 0 or pain is None:
                self._cell("none", row, col, colour=theme.MUTED)
                continue
            level = "red" if nrs > pain.acceptable else "amber"
            place = "/".join(lunge.pain_locations) or None
            self._cell(f"{dot(level)} {pain_words(nrs, place)}", row, col)
        return row + 1

    def _fill_meaning(self, interp: SessionInterpretation) -> None:
        """Every judgement in words, concerns first: pain, then the verdicts."""
        lines = meaning_lines(interp, self.pain_notes)
        for n, (level, text) in enumerate(lines):
            self.meaning_grid.addWidget(light(level), n, 0)
            reason = QLabel(text)
            reason.setWordWrap(True)
            theme.set_font(reason, theme.BASE_PT)
            self.meaning_grid.addWidget(reason, n, 1)
        self.meaning_grid.setColumnStretch(1, 1)
        self.meaning_grid.setRowStretch(len(lines), 1)
        self.meaning_title.setVisible(bool(lines))

    def _ref_cell(self, verdicts: list[Verdict], row: int) -> None:
        lines = [
            f"{dot(v.level)} {SIDE_LETTER.get(v.side or '', '')} {_status(v)}" for v in verdicts
        ]
        tip = "\n".join(v.text for v in verdicts)
        self._cell("<br>".join(lines) or "—", row, 3, tip=tip)

    def _asym_cell(self, asymmetry: Any, row: int, unit: str) -> None:
        if asymmetry is None:
            self._cell("—", row, 4)
            return
        v = asymmetry.verdict
        digits = 2 if unit == "cm/s" else 1
        size = _join_unit(f"{asymmetry.abs_difference:.{digits}f}", unit)
        self._cell(f"{dot(v.level)} {size}", row, 4, tip=v.text)

    def _change_cell(
        self, change: dict[Any, Any], measure: str, condition: str | None, row: int
    ) -> None:
        lines, tips = [], []
        for side in ("left", "right"):
            c = change.get((measure, side, condition))
            if c is None or c.previous is None:
                continue
            if c.delta is None:
                delta = ""
            elif c.verdict.level == "grey":  # within MDC, no MDC, not comparable: say so
                delta = f" ({signed(c.delta)}, {_status(c.verdict)})"
            else:  # a real change: its traffic light (the reason is in the tooltip)
                delta = f" ({signed(c.delta)}) {dot(c.verdict.level)}"
            lines.append(f"{SIDE_LETTER[side]} {fixed(c.previous)}{delta}")
            tips.append(c.verdict.text)
        self._cell("<br>".join(lines) or "—", row, 5, tip="\n".join(tips))
