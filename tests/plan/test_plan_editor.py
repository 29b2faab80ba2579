"""The plan editor widget: edits go through the plan API, saving stores an audited version."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from clinic_app.bench.report import build_fixture_db
from clinic_app.plan import CLINICIAN_CAUSE, Dose, Plan
from clinic_app.storage import Database
from clinic_app.ui.plan_editor.page import PlanEditor

pytest.importorskip("pytestqt")


@pytest.fixture
def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "editor.sqlite3"
    build_fixture_db(path, visits=1)
    with Database.open(path, backup_on_start=False) as database:
        yield database


def _ids(plan: Plan, phase: str) -> list[str]:
    return [i.exercise_id for p in plan.phases if p.id == phase for i in p.items]


def test_edit_and_save_a_plan(qtbot, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    editor = PlanEditor(db, 1, user="Dr. Ünal", preview=False)
    qtbot.addWidget(editor)
    editor.resize(1300, 800)
    editor.grab().save(str(tmp_path / "editor.png"))
    assert editor.tree.topLevelItemCount() == len(editor.plan.phases)
    first = _ids(editor.plan, "mobility")
    assert first[0] == "calf_stretch_straight"

    mobility = editor.tree.topLevelItem(0)
    editor.tree.setCurrentItem(mobility.child(1))
    assert editor.picture.renderer().isValid()  # the exercise's drawing, via QtSvg
    with qtbot.waitSignal(editor.plan_changed):
        editor.up.click()
    assert _ids(editor.plan, "mobility")[:2] == [first[1], first[0]]

    editor.tree.setCurrentItem(editor.tree.topLevelItem(0).child(0))
    editor.remove.click()
    assert first[1] not in _ids(editor.plan, "mobility")

    editor.add_choice.setCurrentIndex(editor.add_choice.findData("tibialis_raises"))
    editor.add_button.click()
    added = next(i for i in editor.plan.items if i.exercise_id == "tibialis_raises")
    assert added.because == (CLINICIAN_CAUSE,)

    editor.set_item_dose("mobility", 0, Dose(sets=2, hold_s=45.0, days_per_week=5))
    editor.notes.setText("Use the kitchen wall.")
    editor.apply_notes.click()
    item = editor.plan.phases[0].items[0]
    assert item.dose.hold_s == 45.0 and item.dose_evidence == "U" and item.notes
    editor.checklist_done.setChecked(True)
    assert editor.plan.red_flags_checked and editor.dirty

    with qtbot.waitSignal(editor.plan_saved) as saved:
        editor.save.click()
    assert saved.args == [1] and not editor.dirty
    stored = db.latest_plan(editor.ctx.session_id)
    assert stored.version == 1 and stored.edited_by == "Dr. Ünal"
    assert Plan.from_dict(stored.plan).to_dict() == editor.plan.to_dict()
    audit = db.audit_entries()
    assert any(a.entity == "plan" and a.action == "create" for a in audit)


def test_red_flag_stops_the_plan_in_the_editor(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    editor = PlanEditor(db, 1, preview=False)
    qtbot.addWidget(editor)
    editor.flag_boxes["dvt"].setChecked(True)
    assert editor.plan.status == "stopped" and editor.plan.items == []
    assert editor.tree.topLevelItemCount() == 0
    assert "Same-day" in editor.plan.referral_notes[0].text
    editor.flag_boxes["dvt"].setChecked(False)
    assert editor.plan.status == "active" and editor.plan.items


def test_live_preview_follows_edits(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    editor = PlanEditor(db, 1, preview=True)
    qtbot.addWidget(editor)
    editor.show()
    assert editor.preview is not None and editor.preview.kind == "handout"
    before = len(editor.preview.page_images())
    editor.tree.setCurrentItem(editor.tree.topLevelItem(0).child(0))
    editor.remove.click()  # edited while the preview tab is hidden: no PDF rebuilt yet
    assert editor.preview.page_images() and editor._preview_stale
    with qtbot.waitSignal(editor.preview.document_built, timeout=5000):
        editor.tabs.setCurrentWidget(editor.preview)
    assert 0 < len(editor.preview.page_images()) <= before
    reader = PdfReader(io.BytesIO(editor.preview.pdf_bytes()))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Calf stretch, knee bent" in text and "Calf stretch, knee straight" not in text
    editor.tree.setCurrentItem(editor.tree.topLevelItem(0).child(0))
    with qtbot.waitSignal(editor.preview.document_built, timeout=5000):
        editor.remove.click()  # preview on screen: rebuilt after the debounce


def test_page_keeps_edits_for_the_same_visit(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    from clinic_app.ui.plan_editor.page import PlanEditorPage

    class Host:
        pass

    host = Host()
    host.db = db  # type: ignore[attr-defined]
    page = PlanEditorPage(host)
    qtbot.addWidget(page)
    page.show_patient(1)
    editor = page.editor
    assert editor is not None
    editor.tree.setCurrentItem(editor.tree.topLevelItem(0).child(0))
    editor.remove.click()
    page.show_patient(1)  # shown again (e.g. back from another page): same editor, same edits
    assert page.editor is editor and editor.dirty
    editor.save_plan()
    page.show_patient(None)
    assert page.editor is None and page.can_leave()


def test_regenerate_keeps_the_clinician_notes(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    editor = PlanEditor(db, 1, preview=False)
    qtbot.addWidget(editor)
    editor.clinician_notes.setPlainText("Prefers evening sessions")
    editor.regenerate.click()
    assert editor.plan.clinician_notes == "Prefers evening sessions"
    assert editor.clinician_notes.toPlainText() == "Prefers evening sessions"


def test_header_follows_the_clinicians_edits(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    """The editor's "plan in brief" drops a removed exercise and names an added one."""
    editor = PlanEditor(db, 1, preview=False)
    qtbot.addWidget(editor)
    first = editor.tree.topLevelItem(0).child(0)
    name = first.text(0).split(" (")[0].lower()
    assert name in editor.summary.text()
    editor.tree.setCurrentItem(first)
    editor.remove.click()
    assert name not in editor.summary.text()
    editor.add_choice.setCurrentIndex(editor.add_choice.findData("single_leg_squat"))
    editor.add_button.click()
    assert "single-leg mini squat" in editor.summary.text()
    assert "single-leg mini squat" in editor.plan.summary  # saved with the plan too
    assert "§" not in editor.flags_box.title()


def test_an_edited_dose_reads_set_by_clinician_never_clinic_default(  # type: ignore[no-untyped-def]
    qtbot, db
) -> None:
    """Issue 14 §5: the tree, the report and the handout say who set an edited dose."""
    from clinic_app.reports import build_clinician_report, build_handout
    from clinic_app.reports.source import load_report_data

    editor = PlanEditor(db, 1, user="Dr. Ünal", preview=False)
    qtbot.addWidget(editor)
    untouched = editor.tree.topLevelItem(0).child(1).text(1)
    editor.set_item_dose("mobility", 0, Dose(sets=2, hold_s=45.0, days_per_week=5))
    edited = editor.tree.topLevelItem(0).child(0).text(1)
    assert edited.endswith("set by clinician") and "clinic default" not in edited
    assert "set by clinician" not in untouched
    data = load_report_data(db, 1, plan=editor.plan)
    report, handout = io.BytesIO(), io.BytesIO()
    build_clinician_report(data, report)
    build_handout(data, handout)
    text = " ".join(
        p.extract_text().replace("\n", " ") for p in PdfReader(io.BytesIO(report.getvalue())).pages
    )
    assert "set by the clinician for this patient" in text
    assert "clinic default (not research-based): Set by the clinician" not in text
    card = " ".join(
        p.extract_text().replace("\n", " ")
        for p in PdfReader(io.BytesIO(handout.getvalue())).pages
    )
    assert "set for you by your clinician" in card


def test_the_tree_wraps_long_names_and_never_widens_the_editor(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    """At 1366 px the exercise tree shares its width; every name is shown whole, wrapped."""
    editor = PlanEditor(db, 1, user="Dr. Ünal", preview=False)
    qtbot.addWidget(editor)
    editor.resize(1300, 560)
    editor.show()
    qtbot.waitExposed(editor)
    assert editor.minimumSizeHint().width() <= 1300
    tree = editor.tree
    assert not tree.horizontalScrollBar().isVisible()
    phase = tree.topLevelItem(0)
    row = phase.child(0)
    name = row.text(0)
    one_line = tree.fontMetrics().height()
    width = tree.columnWidth(0) - tree.indentation() * 2
    needed = tree.fontMetrics().horizontalAdvance(name)
    lines = tree.visualItemRect(row).height() // one_line
    assert needed > width  # at this size the name is longer than its column…
    assert lines >= 2, (name, width, needed)  # …so its row is two lines or more, not elided
    assert tree.isFirstColumnSpanned(0, tree.rootIndex())  # "Phase 1 · Mobility — current"


def test_ctrl_s_saves_the_plan_or_on_the_preview_the_pdf(  # type: ignore[no-untyped-def]
    qtbot, db, monkeypatch
) -> None:
    """Both tabs say Ctrl+S; it used to be ambiguous on the preview, and did nothing."""
    from PySide6.QtCore import Qt

    from clinic_app.ui.plan_editor.report_preview import ReportPreview

    saved_pdf: list[bool] = []
    monkeypatch.setattr(ReportPreview, "_on_save", lambda self: saved_pdf.append(True))
    editor = PlanEditor(db, 1, user="Dr. Ünal", preview=True)
    qtbot.addWidget(editor)
    editor.show()
    editor.activateWindow()
    qtbot.waitActive(editor)  # window shortcuts need the active window
    editor.tabs.setCurrentWidget(editor.preview)
    qtbot.wait(50)
    qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert saved_pdf == [True] and db.latest_plan(editor.ctx.session_id) is None
    editor.tabs.setCurrentIndex(0)
    with qtbot.waitSignal(editor.plan_saved):
        qtbot.keyClick(
            editor.tabs.currentWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier
        )
    assert saved_pdf == [True]


def test_a_save_after_another_workstation_saved_the_plan_is_refused_and_says_who(
    qtbot,
    db,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    editor = PlanEditor(db, 1, user="Dr. Ünal", preview=False)
    qtbot.addWidget(editor)
    shown = editor.stored_version
    other = Database.open(db.path, backup_on_start=False, user="dr.lopez")
    try:  # a second workstation saves the same visit's plan first
        other.save_plan(editor.ctx.session_id, editor.plan.to_dict(), "dr.lopez", based_on=shown)
    finally:
        other.close()
    editor.notes.setText("Mine")
    editor.apply_notes.click()
    with qtbot.waitSignal(editor.conflict) as said:
        assert editor.save_plan() is None
    assert "changed by dr.lopez at" in said.args[0] and "nothing was saved" in said.args[0]
    assert "Not saved" in editor.state.text()
    assert [p.edited_by for p in db.plan_versions(editor.ctx.session_id)][-1] == "dr.lopez"
