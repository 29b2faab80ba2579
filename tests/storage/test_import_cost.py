"""Opening the storage layer does not drag pandas in (sqlite-utils would, if let)."""

from __future__ import annotations

import subprocess
import sys


def test_storage_imports_without_pandas_and_pandas_still_imports_after() -> None:
    code = (
        "import sys, clinic_app.storage\n"
        "assert 'pandas' not in sys.modules, 'storage imported pandas'\n"
        "import pandas\n"  # hidden only while sqlite-utils imported, not afterwards
        "print(pandas.__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "pandas"
