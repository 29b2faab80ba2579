"""Close and reopen the main window on a real X display; print where it came back (JSON).

DISPLAY=:N DORSILAB_HOME=… python -m tests.ui.geometry_child maximised|normal|reopen

``reopen`` only opens the window as the saved state leaves it and prints where it is,
its frame and the screen's free area (for a smaller screen than the one it was left on).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from PySide6.QtTest import QTest


def main(mode: str) -> int:
    from clinic_app import paths
    from clinic_app.commands import AppContext
    from clinic_app.ui.app import create_application, create_main_window, open_database

    ctx = AppContext(db_path=paths.default_db_path(demo=False), demo=False)
    app = create_application()
    db = open_database(ctx, interactive=False)
    assert db is not None
    first = create_main_window(ctx, db)
    first.show()
    if mode == "reopen":
        return _report_reopened(first, db, app)
    QTest.qWaitForWindowExposed(first)
    QTest.qWait(300)
    if mode == "maximised":
        first.showMaximized()
    else:
        first.showNormal()
        first.setGeometry(120, 90, 1500, 900)
    QTest.qWait(500)
    before = first.geometry()
    first.close()
    QTest.qWait(200)
    again = create_main_window(ctx, db)
    again.show()
    QTest.qWaitForWindowExposed(again)
    QTest.qWait(500)
    after = again.geometry()
    print(json.dumps({
        "before": [before.x(), before.y(), before.width(), before.height()],
        "after": [after.x(), after.y(), after.width(), after.height()],
        "maximised": again.isMaximized(),
    }))  # fmt: skip
    again.close()
    db.close()
    app.quit()
    return 0


def _report_reopened(window: Any, db: Any, app: Any) -> int:
    QTest.qWaitForWindowExposed(window)
    QTest.qWait(500)
    frame, area = window.frameGeometry(), window.screen().availableGeometry()
    print(json.dumps({
        "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
        "area": [area.x(), area.y(), area.width(), area.height()],
        "inside": area.contains(frame),
    }))  # fmt: skip
    window.close()
    db.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
