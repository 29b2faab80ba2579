"""Name and version of the DorsiLab JSON export format.

Kept apart from :mod:`clinic_app.exchange.json_schema` so that writing an export does not
import the validation models (pydantic), which only an import needs.
"""

from __future__ import annotations

FORMAT_NAME = "dorsilab-export"
FORMAT_VERSION = 2
"""Version 2 (DorsiLab 0.2): records carry ``uid`` instead of database ids, with their
times, visit body measures and voiding. Version 1 files still import."""
