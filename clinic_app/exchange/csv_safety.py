"""CSV that cannot attack a spreadsheet, written row by row.

Every CSV DorsiLab writes goes through :class:`SafeCsvWriter`. Text cells are neutralised
as the OWASP "CSV Injection" guidance says: a text cell whose first character (or first
character after leading white space) is ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return — or the full-width forms ``＝ ＋ － ＠`` that some spreadsheets also accept — gets a
single quote in front (``=HYPERLINK(…)`` → ``'=HYPERLINK(…)``), so Excel, LibreOffice and
Google Sheets show it as text and never evaluate it. Every cell is quoted as the csv module
needs (commas, quotes, line breaks). Numbers are written as numbers (``-3.5`` stays a
negative number); only *text* is ever prefixed.

``excel=True`` writes UTF-8 with a byte-order mark and CRLF line ends, so accented and
CJK names open correctly when the file is double-clicked in Excel on Windows; without it
the file is plain UTF-8 with LF line ends (what R, pandas and most tools expect).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from typing import IO, Any

import numpy as np

FORMULA_PREFIXES = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
"""First characters that make a spreadsheet read a cell as a formula (OWASP), with the
full-width equals, plus, minus and at signs."""

UTF8_BOM = "\ufeff"

WHITE_SPACE = frozenset(
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""Every character for which :meth:`str.isspace` is true (what :meth:`str.lstrip` strips)."""
LOOK_CLOSER = FORMULA_PREFIXES | WHITE_SPACE
"""First characters after which a text cell may need its quote; any other is safe as is."""

Cell = str | int | float | bool | None | np.generic


def neutralise(text: str) -> str:
    """``text`` safe to put in a spreadsheet cell: prefixed with ``'`` if it could start a
    formula, unchanged otherwise."""
    if not text:
        return text
    first = text[0]
    if first in FORMULA_PREFIXES:
        return "'" + text
    if first.isspace():  # only then can the first character after white space differ
        stripped = text.lstrip()
        if stripped and stripped[0] in FORMULA_PREFIXES:
            return "'" + text
    return text


def format_cell(value: Cell) -> str:
    """One cell as text: numbers as numbers, text neutralised, None/NaN as an empty cell.

    Booleans are ``1``/``0``; floats keep their shortest exact form (``repr``).
    """
    # Exact types first: a clinic-wide table has millions of cells (bool is not int here).
    if value is None:
        return ""
    if type(value) is str:
        return neutralise(value)
    if type(value) is float:
        return repr(value) if math.isfinite(value) else ""
    if type(value) is int:
        return str(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return neutralise(str(value))


ReadyCell = str | int | float | None
"""A cell the csv module writes as :func:`format_cell` would (see :func:`ready_cell`)."""


def ready_cell(value: Cell) -> ReadyCell:
    """``value`` as the csv module writes it exactly as :func:`format_cell` formats it.

    The csv module writes None as an empty cell, and an ``int`` or ``float`` as ``str()``
    of it (``repr`` for a float); so only text (neutralised), booleans (``1``/``0``),
    non-finite floats (empty) and numpy scalars need changing. Rows of ready cells are
    written without a Python call per cell (:meth:`SafeCsvWriter.ready_rows`).
    """
    if value is None or type(value) is int:
        return value
    if type(value) is float and math.isfinite(value):
        return value
    if type(value) is str and value[:1] not in LOOK_CLOSER:
        return value
    return format_cell(value) or None  # the csv module writes that text as it is


class SafeCsvWriter:
    """Writes rows of cells to a text stream, every text cell neutralised.

    Parameters
    ----------
    stream : text stream
        Opened with ``newline=""`` (the writer chooses the line ends).
    excel : bool
        Start with a UTF-8 byte-order mark and end lines with CRLF (Excel on Windows).
    byte_order_mark : bool, optional
        Whether to start with the byte-order mark (default: as ``excel``); False for rows
        that go after others.
    """

    def __init__(
        self, stream: IO[str], *, excel: bool = False, byte_order_mark: bool | None = None
    ) -> None:
        if excel if byte_order_mark is None else byte_order_mark:
            stream.write(UTF8_BOM)
        self._writer = csv.writer(stream, lineterminator="\r\n" if excel else "\n")

    def header(self, names: Iterable[str]) -> None:
        """Write the header row (names are text, so they are neutralised too)."""
        self._writer.writerow([neutralise(name) for name in names])

    def row(self, cells: Iterable[Cell]) -> None:
        """Write one row of cells (see :func:`format_cell`)."""
        self._writer.writerow([format_cell(cell) for cell in cells])

    def rows(self, rows: Iterable[Iterable[Cell]]) -> None:
        """Write rows of cells (see :func:`format_cell`)."""
        # A clinic-wide table has millions of cells, most of them empty or text that cannot
        # start a formula: those are written without a call.
        self._writer.writerows(
            [
                ""
                if cell is None
                else cell
                if type(cell) is str and cell[:1] not in LOOK_CLOSER
                else format_cell(cell)
                for cell in row
            ]
            for row in rows
        )

    def ready_rows(self, rows: Iterable[Iterable[ReadyCell]]) -> None:
        """Write rows whose cells are all :func:`ready_cell` values (not checked here: a
        clinic-wide table has millions of cells)."""
        self._writer.writerows(rows)

    def preformatted_rows(self, rows: Iterable[Iterable[str]]) -> None:
        """Write rows whose cells are already number text (from :func:`number_text`)."""
        self._writer.writerows(rows)


def number_text(value: Any, decimals: int = 6) -> str:
    """A sample value as compact number text: integers as such, floats with at most
    ``decimals`` decimals and no trailing zeros, NaN/inf as an empty cell."""
    if isinstance(value, np.integer | int) and not isinstance(value, bool):
        return str(int(value))
    number = float(value)
    if not math.isfinite(number):
        return ""
    if number == 0:
        return "0"
    return f"{number:.{decimals}f}".rstrip("0").rstrip(".")


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Cell]], *, excel: bool = False) -> str:
    """A whole small CSV as text (tests and tiny exports)."""
    buffer = io.StringIO(newline="")
    writer = SafeCsvWriter(buffer, excel=excel)
    writer.header(header)
    for row in rows:
        writer.row(row)
    return buffer.getvalue()
