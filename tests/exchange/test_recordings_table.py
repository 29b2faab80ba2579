"""The delimited-table parser: pandas' C reader as a fast path that must give exactly the
values and the messages of the row-by-row reference (Python's ``float`` on every cell)."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from clinic_app.exchange.recordings import RecordingError
from clinic_app.exchange.recordings.table import _slow, parse_table

FORMATS = ("{!r}", "{:.3f}", "{:.6e}", "{:.1f}", "{:.17g}", "{:g}")


def _reference(text: str, delimiter: str) -> tuple[list[str], np.ndarray, list[int]]:
    """What the row-by-row path alone makes of ``text`` (comments and blank lines skipped)."""
    numbered = [
        (i + 1, line)
        for i, line in enumerate(text.replace("\r\n", "\n").split("\n"))
        if line.strip() and not line.startswith("#")
    ]
    header = [h.strip() for h in numbered[0][1].split(delimiter)]
    body = numbered[1:]
    lines = [n for n, _ in body]
    data = _slow("t.csv", header, "\n".join(line for _, line in body), delimiter, lines)
    return header, data, lines


cells = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.integers(-(10**9), 10**9).map(float),
    st.just(math.nan),
)


@settings(max_examples=60, deadline=None)
@example(rows=[[math.nan] * 3], fmt=FORMATS[0], delimiter="\t", decorate="comments")  # found here
@given(
    rows=st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=40),
    fmt=st.sampled_from(FORMATS),
    delimiter=st.sampled_from([",", ";", "\t"]),
    decorate=st.sampled_from(["plain", "comments", "crlf", "spaces", "trailing"]),
)
def test_fast_path_equals_the_row_by_row_reference(
    rows: list[list[float]], fmt: str, delimiter: str, decorate: str
) -> None:
    def cell(value: float) -> str:
        if math.isnan(value):
            return ""
        text = fmt.format(value)
        return text.replace(".", ",") if delimiter != "," and "e" not in text else text

    lines = [delimiter.join(["a", "b", "c"])]
    for row in rows:
        line = delimiter.join(cell(v) for v in row)
        if decorate == "spaces":
            line = delimiter.join(f" {cell(v)} " for v in row)
        if decorate == "trailing":
            line += delimiter
        lines.append(line)
    if decorate == "comments":
        lines = ["# made by a test", "", *lines[:2], "# a note", "   ", *lines[2:], ""]
    text = ("\r\n" if decorate == "crlf" else "\n").join(lines) + "\n"
    header, data, numbers = _reference(text, delimiter)
    if not numbers:  # every row blank (tabs around empty cells): a file with no data rows
        with pytest.raises(RecordingError, match="has a header but no data rows"):
            parse_table("t.csv", text, delimiter)
        return
    table = parse_table("t.csv", text, delimiter)
    assert table.header == header and list(table.lines) == numbers
    assert table.data.shape == data.shape
    np.testing.assert_array_equal(table.data, data)  # bit for bit, NaN where NaN


def test_large_tables_take_the_fast_path_with_exact_values() -> None:
    rng = np.random.default_rng(7)
    values = rng.normal(0, 300, (20000, 4))
    text = "t,fz,x,y\n" + "".join(
        f"{a:.4f},{float(b)!r},{c:.3e},{d:.2f}\n" for a, b, c, d in values
    )
    table = parse_table("big.csv", text)
    assert isinstance(table.lines, range) and table.lines[0] == 2 and len(table.lines) == 20000
    expected = [[float(c) for c in line.split(",")] for line in text.splitlines()[1:]]
    np.testing.assert_array_equal(table.data, np.array(expected))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("1,2,3\n4,5\n6,7,8\n", r"t\.csv, line 3: has 2 values, the header has 3 columns"),
        ("1,2,3\n4,5,6,7\n", r"t\.csv, line 3: has 4 values, the header has 3 columns"),
        ("1,2,3\n4,5,x\n", r"t\.csv, line 3, column 'c': 'x' is not a number"),
        ("1,2,3\n4,5,NA\n", r"line 3, column 'c': 'NA' is not a number"),
        ("1,2,3\n# note\n\n4,,oops\n", r"line 5, column 'c': 'oops' is not a number"),
        ("1,2,3\n4,5,6\n7,8\n9,10,11,12\n", r"line 4: has 2 values"),
    ],
)
def test_bad_rows_are_named_by_line_and_column(body: str, message: str) -> None:
    with pytest.raises(RecordingError, match=message):
        parse_table("t.csv", "a,b,c\n" + body)


def test_spellings_python_accepts_are_numbers_as_before() -> None:
    table = parse_table("t.csv", "a,b,c\ninf,-nan,1_000\n1e3,+5,.5\n")
    assert np.isinf(table.data[0, 0]) and np.isnan(table.data[0, 1])
    assert table.data[0, 2] == 1000.0 and list(table.data[1]) == [1000.0, 5.0, 0.5]


def test_empty_and_header_only() -> None:
    with pytest.raises(RecordingError, match="is empty"):
        parse_table("t.csv", "\n# only a comment\n\n")
    with pytest.raises(RecordingError, match="line 2: has a header but no data rows"):
        parse_table("t.csv", "# comment\na,b\n\n  \n")


def test_without_pandas_the_row_by_row_path_gives_the_same_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "t;x;y\n# comment\n0,0;1,5;\n0,1;2,25;3\n"
    with_pandas = parse_table("t.csv", text)
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    without = parse_table("t.csv", text)
    np.testing.assert_array_equal(with_pandas.data, without.data)
    assert list(with_pandas.lines) == list(without.lines) == [3, 4]
