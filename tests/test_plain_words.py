"""No "trial(s)" in what clinicians and patients read (issue 14 §3).

Every string literal in the code that words the screens, the documents and the findings is
read with :mod:`tokenize` (comments and docstrings stay free to say "(s)" for seconds); a
word glued to "(s)" or "(es)" is a lazy plural: use :func:`clinic_app.numbers.counted`.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from clinic_app.numbers import counted
from tests.conftest import REPO_ROOT

WORDED = ["clinic_app/ui", "clinic_app/reports", "clinic_app/plan", "clinic_app/analysis",
          "clinic_app/protocols/status.py"]  # fmt: skip
LAZY_PLURAL = re.compile(r"[A-Za-z]\((?:e?s)\)")
CODE = re.compile(r"\{[^{}]*\}")
FSTRING_MIDDLE = getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)  # Python ≥ 3.12


def _strings(path: Path) -> list[tuple[int, str]]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    found, previous = [], tokenize.NEWLINE
    for tok in tokens:
        docstring = tok.type == tokenize.STRING and previous in (
            tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT
        )  # fmt: skip
        if tok.type in (tokenize.STRING, FSTRING_MIDDLE) and not docstring:
            found.append((tok.start[0], tok.string))
        if tok.type not in (tokenize.COMMENT, tokenize.NL):
            previous = tok.type
    return found


def test_no_lazy_plurals_in_what_people_read() -> None:
    lazy = []
    for place in WORDED:
        root = REPO_ROOT / place
        for path in sorted([root] if root.is_file() else root.rglob("*.py")):
            lazy += [
                f"{path.relative_to(REPO_ROOT)}:{line}: {text}"
                for line, text in _strings(path)
                if LAZY_PLURAL.search(CODE.sub("", text))  # words, not f-string code
            ]
    assert lazy == []


def test_counted_says_one_or_many() -> None:
    assert counted(1, "serial port") == "1 serial port"
    assert counted(2, "serial port") == "2 serial ports"
    assert counted(0, "trial") == "0 trials"
    assert counted(2, "series", "series") == "2 series"
