"""PDF documents: clinician report and patient handout (reportlab).

Public API::

    from clinic_app.reports import load_report_data, build_clinician_report, build_handout
    data = load_report_data(db, patient_id, session_id)     # gathers everything once
    build_clinician_report(data, Path("report.pdf"))         # atomic write, or a stream
    build_handout(data, Path("handout.pdf"))
"""

from clinic_app.reports.clinician import build_clinician_report
from clinic_app.reports.data import ClinicInfo, HistoryVisit, PatientInfo, ReportData, VisitInfo
from clinic_app.reports.handout import build_handout
from clinic_app.reports.source import load_report_data

__all__ = [
    "ClinicInfo",
    "HistoryVisit",
    "PatientInfo",
    "ReportData",
    "VisitInfo",
    "build_clinician_report",
    "build_handout",
    "load_report_data",
]
