"""What ``Database.open`` refuses before SQLite writes anything."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clinic_app.storage import Database, NotADatabaseError


def test_a_named_pipe_is_refused_in_words_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "dorsilab.sqlite3"
    os.mkfifo(fifo)
    with pytest.raises(NotADatabaseError, match="not a regular file"):
        Database.open(fifo)  # reading a pipe's "header" would block for ever


def test_another_kind_of_file_is_refused_and_left_byte_for_byte(tmp_path: Path) -> None:
    pdf = tmp_path / "dorsilab.sqlite3"
    pdf.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    before = pdf.read_bytes()
    with pytest.raises(NotADatabaseError, match="not a SQLite file"):
        Database.open(pdf)
    assert pdf.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dorsilab.sqlite3"]
