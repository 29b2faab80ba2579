"""Measure one cold start: ``python -m clinic_app.ui.startup_probe --db PATH``.

Prints one line, ``startup_ms=<float>``: milliseconds from the moment the parent
launched this process (``DORSILAB_PROBE_T0_NS``, a :func:`time.time_ns` stamp taken just
before the launch, so interpreter start-up and imports count) to the first turn of the
event loop after the main window was shown and painted, i.e. when a click would be
handled. Without the variable it counts from interpreter start as seen by this module.
Used by :mod:`clinic_app.bench.startup`; it runs the same start-up path as ``run_gui``.
"""

from __future__ import annotations

import time

_T0_FALLBACK_NS = time.time_ns()

import argparse  # noqa: E402 (the stamp above must come first)
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ENV_T0 = "DORSILAB_PROBE_T0_NS"


def main(argv: list[str] | None = None) -> int:
    """Start the GUI on ``--db``, report the start-up time, quit."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True, help="database file to open")
    parser.add_argument("--demo", action="store_true", help="seeded demo database")
    args = parser.parse_args(argv)
    t0_ns = int(os.environ.get(ENV_T0, _T0_FALLBACK_NS))

    from PySide6.QtCore import QTimer

    from clinic_app.commands import AppContext
    from clinic_app.ui.app import create_application, create_main_window, open_database

    ctx = AppContext(db_path=args.db.resolve(), demo=args.demo)
    app = create_application([sys.argv[0]])
    db = open_database(ctx, interactive=False)
    if db is None:
        return 1
    window = create_main_window(ctx, db)
    result: dict[str, float] = {}

    def usable() -> None:
        result["ms"] = (time.time_ns() - t0_ns) / 1e6
        window.close()
        app.quit()

    window.show()
    window.repaint()  # the first paint happens before we stop the clock
    QTimer.singleShot(0, usable)
    app.exec()
    db.close()
    if "ms" not in result:
        return 1
    sys.stdout.write(f"startup_ms={result['ms']:.1f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
