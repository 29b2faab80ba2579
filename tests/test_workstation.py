"""This computer's choice of a clinic server: kept without passwords, used when --db is not
given, overridden by --db."""

from __future__ import annotations

import argparse
import stat

import pytest

from clinic_app import paths, workstation
from clinic_app.cli import _context

URL = "postgresql://server.clinic.local/dorsilab"


def _args(db: str | None = None, demo: bool = False) -> argparse.Namespace:
    return argparse.Namespace(db=db, demo=demo)


def test_the_chosen_server_is_used_unless_db_or_demo_says_otherwise() -> None:
    assert workstation.server_url() is None
    assert _context(_args()).db_url is None
    workstation.set_server_url(URL)
    kept = paths.config_dir() / workstation.FILE_NAME
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert _context(_args()).db_url == URL
    assert _context(_args(db="/tmp/x.sqlite3")).db_url is None  # --db wins
    assert _context(_args(demo=True)).db_url is None  # the demo is always its own file
    workstation.set_server_url(None)
    assert _context(_args()).db_url is None


@pytest.mark.parametrize(
    ("url", "words"),
    [("postgresql://alice:secret@server/dorsilab", "leave the password out"),
     ("postgresql://server/dorsilab?password=secret", "leave the password out"),
     ("/home/clinic/dorsilab.sqlite3", "starts with postgresql://")],
)  # fmt: skip
def test_an_address_with_a_password_or_not_a_server_is_refused(url: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        workstation.set_server_url(url)
    assert workstation.server_url() is None
