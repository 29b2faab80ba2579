"""The "Data exchange" group of the Settings dialog: how other systems identify patients.

The clinic's record numbers are exported in FHIR as an identifier of type ``MR`` (HL7
v2-0203) under the URI the clinic's record system issues them with (the hospital's or
practice system's "identifier system", e.g. ``urn:oid:2.16.840.1.113883.3.4424.1`` or
``https://records.example-clinic.org/mrn``). Without it an EHR cannot match DorsiLab's
patients to its own (``docs/fhir.md``). Stored as the setting
:data:`clinic_app.exchange.fhir_codes.RECORD_NUMBER_SETTING`.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QLineEdit, QWidget

from clinic_app.exchange.fhir_codes import RECORD_NUMBER_SETTING

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]+")


def uri_problem(text: str) -> str:
    """Why ``text`` is not an identifier-system URI, in words ("" if it is one or empty)."""
    if not text:
        return ""
    if not _URI.fullmatch(text):
        return "Not a URI: e.g. https://records.example.org/mrn or urn:oid:1.2.3.4."
    if text.startswith("urn:uuid:"):
        return "A urn:uuid names one thing, not a system of record numbers; use a URL or urn:oid."
    return ""


class ExchangeSettingsBox(QGroupBox):
    """Edit the record-number system URI; :meth:`problem` says what is wrong, if anything."""

    KEY = RECORD_NUMBER_SETTING

    def __init__(self, db: Any, parent: QWidget | None = None) -> None:
        super().__init__("Data exchange (FHIR)", parent)
        self.setObjectName("exchangeSettings")
        stored = db.get_setting(RECORD_NUMBER_SETTING, "")
        self.record_system = QLineEdit(stored if isinstance(stored, str) else "")
        self.record_system.setObjectName("recordNumberSystem")
        self.record_system.setPlaceholderText("e.g. https://records.example-clinic.org/mrn")
        hint = QLabel(
            "The identifier system your record numbers belong to, so that an EHR can match "
            "exported patients to its own."
        )
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        self.error = QLabel("")
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.record_system.textChanged.connect(lambda _: self.error.setVisible(False))
        form = QFormLayout(self)
        form.addRow("Record-number system", self.record_system)
        form.addRow("", hint)
        form.addRow("", self.error)

    def value(self) -> str:
        """The URI as it will be stored (trimmed; "" for none)."""
        return self.record_system.text().strip()

    def problem(self) -> str:
        """Show and return what is wrong with the entry ("" when it can be saved)."""
        message = uri_problem(self.value())
        self.error.setText(f"⚠ {message}" if message else "")
        self.error.setVisible(bool(message))
        if message:
            self.window().adjustSize()  # make room for the message
        return message
