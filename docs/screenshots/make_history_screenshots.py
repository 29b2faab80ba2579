"""Screenshots of the history page (demo patient with four visits) at two screen sizes.

Run from the repository root under a virtual X server::

    xvfb-run -a -s "-screen 0 1920x1080x24" python docs/screenshots/make_history_screenshots.py

A fresh demo database in a temporary DORSILAB_HOME; writes ``history_<tab>_<size>.png`` and
``history_patient_page_<size>.png`` (the trend sparklines)
beside this script.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = {"1366x768": (1366, 768), "1920x1080": (1920, 1080)}
OUT = Path(os.environ.get("SHOTS_DIR", HERE))


def main() -> int:
    """Write the screenshots; returns 0."""
    home = Path(tempfile.mkdtemp(prefix="dorsilab-history-shots-"))
    os.environ["DORSILAB_HOME"] = str(home)
    sys.path.insert(0, str(HERE.parent.parent))

    from PySide6.QtTest import QTest

    from clinic_app import paths
    from clinic_app.commands import AppContext
    from clinic_app.ui.app import create_application, create_main_window, open_database

    ctx = AppContext(db_path=paths.default_db_path(demo=True), demo=True)
    app = create_application()
    db = open_database(ctx, interactive=False)
    assert db is not None
    patient_id = db.record_number_owner("DEMO-001")
    assert patient_id is not None
    for label, (width, height) in SIZES.items():
        window = create_main_window(ctx, db)
        window.resize(width, height - 40)  # leave room for a taskbar
        window.show()
        QTest.qWaitForWindowExposed(window)
        window.select_patient(patient_id)
        window.show_page("patient")
        QTest.qWait(200)
        window.grab().save(str(OUT / f"history_patient_page_{label}.png"))
        window.show_page("history")
        page = window.page("history")
        assert page is not None
        for index, tab in enumerate(("lunge", "balance", "compare")):
            page.tabs.setCurrentIndex(index)
            if tab == "compare":
                page.compare.table.setCurrentCell(1, 0)
            QTest.qWait(300)
            path = OUT / f"history_{tab}_{label}.png"
            window.grab().save(str(path))
            print(f"wrote {path}")
        window.close()
    db.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
