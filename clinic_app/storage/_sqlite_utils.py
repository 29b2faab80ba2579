"""sqlite-utils, imported without its optional pandas support.

``sqlite_utils.db`` imports pandas at import time whenever pandas is installed, only to map
``pandas.Timestamp`` to TEXT in inserts, which DorsiLab never does. pandas is installed
(the C3D/CSV table reader uses it), so every start of the window and every command would
pay 0.2–0.35 s for it. Importing sqlite-utils with pandas marked as absent keeps that cost
for the commands that really read tables. If pandas is already imported, nothing is hidden.
"""

from __future__ import annotations

import sys

if "sqlite_utils" in sys.modules or "pandas" in sys.modules:
    import sqlite_utils as sqlite_utils
else:
    sys.modules["pandas"] = None  # type: ignore[assignment]  # None makes `import pandas` fail
    try:
        import sqlite_utils as sqlite_utils
    finally:
        del sys.modules["pandas"]

__all__ = ["sqlite_utils"]
