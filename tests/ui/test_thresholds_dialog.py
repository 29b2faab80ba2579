"""Clinic thresholds in Settings: edited, checked, stored, audited, used by the judgement."""

from __future__ import annotations

from typing import Any

from clinic_app.analysis.norms import CLINIC_SETTINGS, load_norms
from clinic_app.reports.context import clinic_norms
from clinic_app.storage import Database
from clinic_app.ui.settings_dialog import SettingsDialog
from clinic_app.ui.thresholds_dialog import ThresholdsDialog, basis_text


def test_every_clinic_threshold_is_listed_with_an_honest_basis(qtbot: Any, db: Database) -> None:
    dialog = ThresholdsDialog(db)
    qtbot.addWidget(dialog)
    assert list(dialog.boxes) == list(CLINIC_SETTINGS)
    norms = load_norms()
    for key in CLINIC_SETTINGS:
        entry = norms[key]
        assert entry.editable and entry.name
        if entry.evidence == "U":
            assert basis_text(entry) == "editable clinic default, not research-based"
        else:
            assert basis_text(entry).startswith(f"[{entry.evidence}]")


def test_changes_are_stored_audited_and_judged_with(qtbot: Any, db: Database) -> None:
    dialog = ThresholdsDialog(db)
    qtbot.addWidget(dialog)
    dialog.boxes["reference.lunge_distance_restricted_cm"].setValue(9.0)
    dialog.boxes["retest.max_weeks"].setValue(3)
    dialog.save()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert db.get_setting("thresholds") == {
        "reference.lunge_distance_restricted_cm": 9.0, "retest.max_weeks": 3.0,
    }  # fmt: skip
    audit = next(a for a in db.audit_entries("settings") if "thresholds" in a.details)
    assert audit.details["thresholds"]["retest.max_weeks"] == {"from": 4.0, "to": 3.0}
    norms = clinic_norms(db)
    assert norms["retest.max_weeks"].local and norms.value("retest.max_weeks") == 3.0
    # Reset: back to the file's values, stored as no override at all.
    again = ThresholdsDialog(db)
    qtbot.addWidget(again)
    assert again.boxes["retest.max_weeks"].value() == 3.0
    again.reset_all()
    again.save()
    assert db.get_setting("thresholds") == {}


def test_bad_values_are_refused_in_words(qtbot: Any, db: Database) -> None:
    dialog = ThresholdsDialog(db)
    qtbot.addWidget(dialog)
    dialog.boxes["retest.min_weeks"].setValue(6)  # above the 4-week maximum
    dialog.boxes["balance.repeated_failure_trials"].setValue(0)
    dialog.save()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert "must not be above" in dialog.error.text() and "at least 1" in dialog.error.text()
    assert db.get_setting("thresholds") == {}


def test_settings_opens_the_thresholds(qtbot: Any, db: Database, monkeypatch: Any) -> None:
    opened: list[Any] = []
    monkeypatch.setattr(ThresholdsDialog, "exec", lambda self: opened.append(self) or 0)
    dialog = SettingsDialog(db)
    qtbot.addWidget(dialog)
    dialog.thresholds.click()
    assert opened and isinstance(opened[0], ThresholdsDialog)
