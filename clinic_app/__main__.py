"""``python -m clinic_app`` is the same as ``clinic-app``."""

import sys

from clinic_app.cli import main

if __name__ == "__main__":  # a spawned child imports this module as __mp_main__
    sys.exit(main())
