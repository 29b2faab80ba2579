"""``python -m clinic_app`` is the same as ``clinic-app``."""

import sys

from clinic_app.cli import main

sys.exit(main())
