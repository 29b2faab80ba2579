"""A strict reader of delimited numeric tables that names the line and column of any problem.

Large recordings (a 300 s trial at 1 kHz is 300,000 rows) are parsed by pandas' C reader
(imported only here, when a table is read; the frozen bundle carries it too, and where it
is missing every table takes the row-by-row path); the values are
those Python's ``float`` gives for each cell (both round correctly). Anything the fast path
cannot take exactly as the rules below say (a row with too few or too many values, a cell
that is not a number, ``inf`` spelled out) is parsed again row by row in Python, which finds
and names the first bad cell; so the fast path changes the speed, never the result or the
message.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clinic_app.exchange.recordings.base import FloatArray, RecordingError

MAX_BYTES = 512 * 1024 * 1024  # refuse absurd files rather than exhausting memory
_NAN_SPELLINGS = ["", "nan", "NaN", "NAN"]
_NEWLINE = ord("\n")
_NOT_A_ROW = np.frombuffer(b"\n#\t \x0b\x0c", dtype=np.uint8)  # a blank, comment or indented line


@dataclass(frozen=True)
class Table:
    """Header names and a float matrix (rows = samples), with the file line of each row."""

    header: list[str]
    data: FloatArray
    lines: Sequence[int]

    def column(self, index: int) -> FloatArray:
        """One column as a contiguous float array."""
        return np.ascontiguousarray(self.data[:, index])

    def finite_column(self, name: str, index: int, rows: slice = slice(None)) -> FloatArray:
        """One column (optionally a row range), every value finite.

        Raises
        ------
        RecordingError
            Naming the line and column of the first missing or infinite value.
        """
        values = np.ascontiguousarray(self.data[rows, index])
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            line = self.lines[range(len(self.lines))[rows][int(bad[0])]]
            raise RecordingError(
                name,
                f"value {float(values[bad[0]])} is missing or not finite",
                line=line,
                column=repr(self.header[index]),
            )
        return values


def read_text(path: Path) -> str:
    """The file's text (UTF-8, BOM tolerated), or a :class:`RecordingError` saying why not."""
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise RecordingError(name, f"file is too large ({size / 1e6:.0f} MB)")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RecordingError(str(path), "no such file") from None
    except IsADirectoryError:
        raise RecordingError(str(path), "is a folder, not a recording file") from None
    except OSError as exc:
        raise RecordingError(str(path), f"cannot be read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RecordingError(name, "is not a text file (not UTF-8)", line=line) from None


def sniff_delimiter(header_line: str) -> str:
    """Tab, semicolon or comma: whichever splits the header line into the most fields."""
    counts = {d: header_line.count(d) for d in ("\t", ";", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _skipped(line: str) -> bool:
    return not line.strip() or line.startswith("#")


def _header(text: str) -> tuple[int, str, int]:
    """Line number and text of the header (first line that is not blank or a comment), and
    the offset where the body starts."""
    offset, line_no = 0, 0
    while offset < len(text):
        end = text.find("\n", offset)
        end = len(text) if end < 0 else end
        line_no += 1
        line = text[offset:end]
        if not _skipped(line):
            return line_no, line, end + 1
        offset = end + 1
    return 0, "", len(text)


def parse_table(name: str, text: str, delimiter: str | None = None, *, fast: bool = True) -> Table:
    """Parse a delimited table: comment lines (``#``) and blank lines skipped, one header line.

    A semicolon- or tab-separated file may use decimal commas. Every cell must be a number;
    ``nan`` and empty cells (missing values) are accepted here, and readers check the
    columns they use with :meth:`Table.finite_column`. The first bad cell is reported with
    its line and column. ``fast=False`` parses row by row only (the reference semantics,
    what a bundle without pandas runs; the bench compares the two).

    Raises
    ------
    RecordingError
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    header_line_no, header_line, body_start = _header(text)
    if not header_line_no:
        raise RecordingError(name, "is empty (no header line)")
    delimiter = delimiter or sniff_delimiter(header_line)
    header = [h.strip() for h in next(csv.reader([header_line], delimiter=delimiter))]
    if len(header) < 2:
        raise RecordingError(name, "header has fewer than two columns", line=header_line_no)
    body = text[body_start:].rstrip("\n")
    if not body.strip():
        raise RecordingError(name, "has a header but no data rows", line=header_line_no)
    raw = body.encode("utf-8")
    codes = np.frombuffer(raw, dtype=np.uint8)
    breaks = np.flatnonzero(codes == _NEWLINE)
    lines: Sequence[int]
    if codes[0] in _NOT_A_ROW or np.isin(codes[breaks + 1], _NOT_A_ROW).any():
        # Comments, blank lines or indented lines among the rows: keep only the rows.
        numbered = [
            (header_line_no + 1 + i, line)
            for i, line in enumerate(body.split("\n"))
            if not _skipped(line)
        ]
        lines = [n for n, _ in numbered]
        if not lines:  # only comments and blank lines (tabs around empty cells) below it
            raise RecordingError(name, "has a header but no data rows", line=header_line_no)
        body = "\n".join(line for _, line in numbered)
        raw = body.encode("utf-8")
    else:
        lines = range(header_line_no + 1, header_line_no + 2 + breaks.size)
    data = _fast(raw, delimiter, len(header), len(lines)) if fast else None
    if data is None:
        data = _slow(name, header, body, delimiter, lines)
    return Table(header=header, data=data, lines=lines)


def _fast(raw: bytes, delimiter: str, n_columns: int, n_rows: int) -> FloatArray | None:
    """The table by pandas' C reader, or None when only the row-by-row path can decide."""
    try:
        import pandas as pd  # imported here: only reading a table needs it
    except ImportError:  # a bundle built without pandas: the row-by-row path, same result
        return None

    if delimiter != ",":  # decimal commas
        raw = raw.replace(b",", b".")
    delimiters = raw.count(delimiter.encode("ascii"))
    trailing = delimiters == n_rows * n_columns  # one delimiter ends every row
    if delimiters != n_rows * (n_columns - 1) and not trailing:
        return None  # a row with too few or too many values: named by the slow path
    try:
        frame = pd.read_csv(
            io.BytesIO(raw), sep=delimiter, header=None, dtype=np.float64,
            keep_default_na=False, na_values=_NAN_SPELLINGS, quoting=csv.QUOTE_NONE,
            skipinitialspace=True, skip_blank_lines=False, engine="c", encoding="utf-8",
        )  # fmt: skip
    except (ValueError, pd.errors.ParserError):
        return None
    data = frame.to_numpy(dtype=np.float64)
    if trailing and data.shape[1] == n_columns + 1 and np.isnan(data[:, -1]).all():
        data = data[:, :-1]
    if data.shape != (n_rows, n_columns):
        return None
    return np.ascontiguousarray(data)


def _slow(
    name: str, header: list[str], body: str, delimiter: str, line_numbers: Sequence[int]
) -> FloatArray:
    """Row by row: the reference semantics, and the first bad cell named."""
    decimal_comma = delimiter != ","
    rows: list[list[str]] = []
    for line_no, line in zip(line_numbers, body.split("\n"), strict=False):
        cells = [c.strip() for c in line.split(delimiter)]
        if cells and cells[-1] == "" and len(cells) == len(header) + 1:
            cells.pop()  # a trailing delimiter
        if len(cells) != len(header):
            raise RecordingError(
                name,
                f"has {len(cells)} values, the header has {len(header)} columns",
                line=line_no,
            )
        if decimal_comma:
            cells = [c.replace(",", ".") for c in cells]
        rows.append([c if c else "nan" for c in cells])  # an empty cell is a missing value
    try:
        return np.array(rows, dtype=np.float64).reshape(len(rows), len(header))
    except ValueError:
        return _locate_bad_cell(name, header, rows, line_numbers)


def _locate_bad_cell(
    name: str, header: list[str], rows: list[list[str]], line_numbers: Sequence[int]
) -> FloatArray:
    for r, cells in enumerate(rows):
        for c, cell in enumerate(cells):
            try:
                float(cell)
            except ValueError:
                shown = cell if cell else "(empty)"
                raise RecordingError(
                    name,
                    f"{shown!r} is not a number",
                    line=line_numbers[r],
                    column=repr(header[c]),
                ) from None
    raise RecordingError(name, "could not be read as numbers")  # pragma: no cover
