"""Frozen entry point of the windowed ``DorsiLab`` launcher (Windows start menu, macOS .app).

A windowed executable has no console: ``sys.stdout``/``sys.stderr`` are ``None`` there, so
they are pointed at the null device before anything tries to write a message.
"""

import multiprocessing
import os
import sys

from clinic_app.cli import gui_main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
    sys.exit(gui_main())
