"""Settings → Data exchange: the clinic's record-number system URI is stored, refused in
words when it is not a URI, and used by the FHIR export."""

from __future__ import annotations

from typing import Any

from clinic_app.exchange.fhir_bundle import FhirOptions
from clinic_app.exchange.fhir_codes import RECORD_NUMBER_SETTING
from clinic_app.storage import Database
from clinic_app.ui.selftest_support import type_into
from clinic_app.ui.settings_dialog import SettingsDialog

SYSTEM = "https://records.example-clinic.org/mrn"


def test_record_number_system_is_saved_and_used_by_fhir(qtbot: Any, db: Database) -> None:
    dialog = SettingsDialog(db)
    qtbot.addWidget(dialog)
    type_into(dialog.exchange.record_system, f"  {SYSTEM} ")
    dialog.save()
    assert db.get_setting(RECORD_NUMBER_SETTING) == SYSTEM
    options = FhirOptions.from_settings(db, bundle_type="transaction")
    assert options.record_number_system == SYSTEM
    again = SettingsDialog(db)
    qtbot.addWidget(again)
    assert again.exchange.record_system.text() == SYSTEM


def test_a_system_that_is_not_a_uri_is_refused_in_words(qtbot: Any, db: Database) -> None:
    dialog = SettingsDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    type_into(dialog.exchange.record_system, "our MRNs")
    dialog.save()
    assert dialog.isVisible()  # not closed
    assert dialog.exchange.error.isVisible() and "URI" in dialog.exchange.error.text()
    assert db.get_setting(RECORD_NUMBER_SETTING) is None
    dialog.exchange.record_system.setText("urn:oid:2.16.840.1.113883.19.5")
    assert not dialog.exchange.error.isVisible()
    dialog.save()
    assert db.get_setting(RECORD_NUMBER_SETTING) == "urn:oid:2.16.840.1.113883.19.5"
