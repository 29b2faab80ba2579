"""A strict reader of delimited numeric tables that names the line and column of any problem."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clinic_app.exchange.recordings.base import FloatArray, RecordingError

MAX_BYTES = 512 * 1024 * 1024  # refuse absurd files rather than exhausting memory


@dataclass(frozen=True)
class Table:
    """Header names and a float matrix (rows = samples), with the file line of each row."""

    header: list[str]
    data: FloatArray
    lines: list[int]

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


def parse_table(name: str, text: str, delimiter: str | None = None) -> Table:
    """Parse a delimited table: comment lines (``#``) and blank lines skipped, one header line.

    A semicolon- or tab-separated file may use decimal commas. Every cell must be a number;
    ``nan`` and empty cells (missing values) are accepted here, and readers check the
    columns they use with :meth:`Table.finite_column`. The first bad cell is reported with
    its line and column.

    Raises
    ------
    RecordingError
    """
    all_lines = text.splitlines()
    numbered = [
        (i + 1, line)
        for i, line in enumerate(all_lines)
        if line.strip() and not line.startswith("#")
    ]
    if not numbered:
        raise RecordingError(name, "is empty (no header line)")
    header_line_no, header_line = numbered[0]
    delimiter = delimiter or sniff_delimiter(header_line)
    header = [h.strip() for h in next(csv.reader([header_line], delimiter=delimiter))]
    if len(header) < 2:
        raise RecordingError(name, "header has fewer than two columns", line=header_line_no)
    body = numbered[1:]
    if not body:
        raise RecordingError(name, "has a header but no data rows", line=header_line_no)
    decimal_comma = delimiter != ","
    rows: list[list[str]] = []
    for line_no, line in body:
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
        cells = [c if c else "nan" for c in cells]  # an empty cell is a missing value
        rows.append(cells)
    try:
        data = np.array(rows, dtype=np.float64)
    except ValueError:
        data = _locate_bad_cell(name, header, rows, [n for n, _ in body])
    return Table(header=header, data=data, lines=[n for n, _ in body])


def _locate_bad_cell(
    name: str, header: list[str], rows: list[list[str]], line_numbers: list[int]
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
