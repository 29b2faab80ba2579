"""This computer's own choice of where the records are: a file here, or a clinic server.

Kept per user in ``workstation.json`` in the configuration folder (not in the database:
it says which database to open). Only the server's URL is kept, never a password (people
sign in at start; libpq's ``.pgpass`` is the place for a stored one). ``--db`` on the
command line always wins.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from clinic_app import paths
from clinic_app.exchange.files import atomic_text

log = logging.getLogger(__name__)

FILE_NAME = "workstation.json"


def _path() -> Path:
    return paths.config_dir() / FILE_NAME


def server_url() -> str | None:
    """The clinic server this workstation uses, or None (the file on this computer)."""
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        log.warning("workstation settings unreadable; using the database file")
        return None
    url = data.get("server_url") if isinstance(data, dict) else None
    return str(url) if url else None


def set_server_url(url: str | None) -> None:
    """Use the clinic server at ``url`` from the next start (None: the file here).

    Raises
    ------
    ValueError
        If ``url`` holds a password (sign in at start, or use ``.pgpass``) or is not a
        ``postgresql://`` URL.
    """
    if url is not None:
        from clinic_app.storage.server.errors import url_password

        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("a clinic server's address starts with postgresql://")
        if url_password(url) or "password=" in url:
            raise ValueError(
                "leave the password out of the address: people sign in when DorsiLab starts"
            )
    with atomic_text(_path()) as stream:  # owner-only from the start, whole or not at all
        stream.write(json.dumps({"server_url": url}))
    log.info("workstation now uses %s", "a clinic server" if url else "the database file")
