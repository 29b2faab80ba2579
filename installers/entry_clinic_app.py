"""Frozen entry point of ``clinic-app`` (console): the same command line as the package."""

import multiprocessing
import sys

from clinic_app.cli import main

if __name__ == "__main__":
    # Lets a frozen child process (spawn start method) run its target instead of the CLI.
    multiprocessing.freeze_support()
    sys.exit(main())
