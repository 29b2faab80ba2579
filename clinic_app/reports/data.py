"""Everything a document needs, gathered once: :class:`ReportData`.

Build it from the database with :func:`clinic_app.reports.source.load_report_data`, or
directly (tests, previews). The documents never query the database themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from clinic_app import __version__
from clinic_app.analysis.norms import NormEntry, Norms
from clinic_app.analysis.session import SessionInterpretation
from clinic_app.analysis.summary import SessionSummary
from clinic_app.plan.model import Plan
from clinic_app.reports.charts import CopPath, TraceSeries


@dataclass(frozen=True)
class ClinicInfo:
    """Clinic settings printed in the header (all optional)."""

    name: str = ""
    address: str = ""
    logo_path: Path | None = None
    header: str = ""
    phone_note: str = ""


@dataclass(frozen=True)
class PatientInfo:
    """The patient as the documents name them."""

    id: int
    first_name: str
    last_name: str
    birth_date: date | None = None
    sex: str = "unspecified"
    involved_side: str = "none"
    record_number: str | None = None
    mass_kg: float | None = None
    dominant_leg: str = "unknown"
    weekly_km: float | None = None
    years_running: float | None = None
    height_cm: float | None = None

    @property
    def full_name(self) -> str:
        """``First Last``."""
        return f"{self.first_name} {self.last_name}".strip()

    def age_on(self, day: date) -> int | None:
        """Age in whole years on ``day`` (None without a birth date)."""
        if self.birth_date is None:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


@dataclass(frozen=True)
class VisitInfo:
    """The session the documents are about."""

    session_id: int | None
    day: date
    examiner: str = ""
    site: str = "tibial_crest_15cm"
    number: int = 1
    of: int = 1


@dataclass(frozen=True)
class HistoryVisit:
    """One counted visit of the patient's history (oldest first), summarised."""

    session_id: int | None
    day: date
    summary: SessionSummary
    examiner: str = ""


@dataclass(frozen=True)
class ReportData:
    """The inputs of both documents.

    Attributes
    ----------
    interp : SessionInterpretation
        The current session against the previous one (if any).
    plan : Plan
    traces : mapping of side to sequence of TraceSeries
        Tibial angle per lunge trial (from the stored inclinometer recordings).
    cop : mapping of (side, condition) to CopPath
        One representative valid balance trial per side and condition.
    history : sequence of HistoryVisit
        Every visit up to and including this one, oldest first (trends need ≥ 2).
    paper : {"A4", "Letter"}
    processing : str
        Balance processing description for the methods footnote.
    local_thresholds : sequence of NormEntry
        The clinic's own values of editable thresholds, for the methods.
    """

    clinic: ClinicInfo
    patient: PatientInfo
    visit: VisitInfo
    interp: SessionInterpretation
    plan: Plan
    traces: Mapping[str, Sequence[TraceSeries]] = field(default_factory=dict)
    cop: Mapping[tuple[str, str], CopPath] = field(default_factory=dict)
    history: Sequence[HistoryVisit] = ()
    paper: str = "A4"
    processing: str = ""
    version: str = __version__
    local_thresholds: Sequence[NormEntry] = ()
    """Thresholds the clinic changed in Settings (printed in the report's methods)."""
    norms: Norms | None = None
    """The thresholds the visit was judged with (default: the bundled file)."""
