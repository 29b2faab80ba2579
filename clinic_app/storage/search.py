"""The derived search columns of a patient (``search_text``, ``sort_name``).

Kept apart from :mod:`clinic_app.storage.patients` so that a migration can recompute them
without importing the record stores.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from clinic_app.storage._util import fold

_PUNCTUATION = re.compile(r"[-'’.,]")


def search_columns(values: Mapping[str, Any]) -> dict[str, str]:
    """The derived ``search_text`` and ``sort_name`` columns of a patient.

    ``search_text`` holds the case- and accent-folded names (also without punctuation, so
    ``oconnor`` finds O'Connor), the record number and the ISO birth date, each word
    preceded by a space so that a query word can match the start of any word.
    """
    words: list[str] = []
    for name in ("last_name", "first_name"):
        folded = fold(str(values[name]))
        words += [folded, _PUNCTUATION.sub(" ", folded), _PUNCTUATION.sub("", folded)]
    if values.get("record_number"):
        words.append(fold(str(values["record_number"])))
    birth = values["birth_date"]
    words.append(birth.isoformat() if isinstance(birth, date) else str(birth))
    unique = list(dict.fromkeys(w for w in words if w))
    return {
        "search_text": " " + " ".join(unique) + " ",
        "sort_name": fold(str(values["last_name"])) + "\t" + fold(str(values["first_name"])),
    }
