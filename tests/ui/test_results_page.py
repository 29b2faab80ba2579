"""The results page says pain and repeated balance failures in words (issue 13 §3)."""

from __future__ import annotations

from typing import Any

from clinic_app.storage import Database
from tests.plan.clinic import PATIENT, Lunge, Visit, record_visit


def _results_texts(make_window: Any, db: Database, visit: Visit) -> list[str]:
    pid = db.create_patient(PATIENT).id
    sid = record_visit(db, pid, visit)
    window = make_window()
    window.select_patient(pid)
    assert window.open_session(sid)
    page = window.page("results")
    assert page.session_id == sid
    return [t for t in page.texts() if t]


def test_pain_and_a_condition_not_held_are_findings_in_words(make_window: Any, db: Database):
    visit = Visit(
        0,
        {"left": Lunge(12.0, 45.0, 7, "posterior"), "right": Lunge(12.3, 45.6)},
        {("left", "ec_firm"): ([7.0], 5), ("right", "ec_firm"): ([7.1, 7.3, 7.0], 0)},
    )
    texts = _results_texts(make_window, db, visit)
    joined = " ".join(texts)
    assert "Lunge pain" in joined and "7/10 calf/Achilles" in joined
    assert any("Left lunge pain 7/10" in t for t in texts)  # in "What it means"
    assert any("5 of 6 trials failed" in t and "Not held" in t for t in texts)
    assert "5 failed" in joined and "not held" in joined
    # The left eyes-closed value rests on one trial: its left–right verdict is not "OK".
    assert not any("OK</b>" in t and "0.0" in t for t in texts)
    assert "foot_shift" not in joined and "ec_firm" not in joined


def test_balance_not_tested_is_said(make_window: Any, db: Database) -> None:
    visit = Visit(0, {"left": Lunge(12.0, 45.0), "right": Lunge(12.3, 45.6)})
    texts = _results_texts(make_window, db, visit)
    assert any("balance was not tested" in t for t in texts)
