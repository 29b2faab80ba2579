"""Whether a file may be written where the user asked, and writing it all or nothing.

Every command and dialog that writes a file (report, handout, export in every format, raw
recordings, the GUI's Save as PDF and export dialog) goes through this module, so that an
output can never replace what it must not (issue 12 §2):

* never the patient database, its ``-wal``/``-shm``/``-journal``, a backup or anything in
  the backups folder, nor any other SQLite database or journal (judged by content);
* never something that is not a regular file (a folder, a device such as ``/dev/full``,
  a pipe, a socket);
* an existing file of another kind than the one written (judged by its first bytes, not
  by its extension: a PDF is ``%PDF-``, JSON starts with ``{`` or ``[``…) only with
  ``force``; an existing file of the same kind is replaced (the GUI asks first,
  :attr:`OutputCheck.replaces`).

Writing happens in a private staging folder inside the destination folder
(:class:`clinic_app.output_files.Staging`): the files appear under their final names only
when every one of them was written whole, so a full disk, a read-only folder or a name too
long leaves nothing behind. Files are owner-only (0600), folders the app creates 0700.

Refusals and operating-system failures are :class:`~clinic_app.errors.UserError`\\ s whose
message is one line naming the path and what is wrong.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from clinic_app.errors import UserError
from clinic_app.output_files import os_reason, shown

SNIFF_BYTES = 4096
"""How much of an existing file is read to tell its kind."""

_SQLITE = b"SQLite format 3\x00"
_WAL_MAGIC = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")
_JOURNAL_MAGIC = b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7"
_COMPANIONS = ("-wal", "-shm", "-journal")
_THE_DATABASE = "the patient database (or its journal)"


class OutputRefused(UserError):
    """The output path may not be written (the message says why, in one line)."""


# ---------------------------------------------------------------------- file kinds
def _is_pdf(head: bytes) -> bool:
    return b"%PDF-" in head[:1024]


def _text(head: bytes) -> str | None:
    if b"\x00" in head:
        return None
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the sniff limit
        if exc.start < len(head) - 4:
            return None
        return head[: exc.start].decode("utf-8-sig", errors="strict")


def _is_json(head: bytes) -> bool:
    text = _text(head)
    return text is not None and text.lstrip()[:1] in ("{", "[")


def _is_csv(head: bytes) -> bool:
    text = _text(head)
    if text is None or _is_json(head) or text.lstrip().startswith("<"):
        return False
    first = text.splitlines()[0] if text.strip() else ""
    return any(sep in first for sep in (",", ";", "\t"))


def _is_c3d(head: bytes) -> bool:
    return len(head) >= 512 and head[1] == 0x50


@dataclass(frozen=True)
class FileKind:
    """A kind of file the app writes, recognised by content.

    Attributes
    ----------
    name : str
        For messages (``"PDF"``).
    suffix : str
        The usual extension (``".pdf"``), for default names and dialogs.
    matches : callable
        ``matches(first_bytes) -> bool``.
    """

    name: str
    suffix: str
    matches: Callable[[bytes], bool]


PDF = FileKind("PDF", ".pdf", _is_pdf)
JSON = FileKind("JSON", ".json", _is_json)
CSV = FileKind("CSV", ".csv", _is_csv)
C3D = FileKind("C3D", ".c3d", _is_c3d)
KINDS_BY_SUFFIX = {k.suffix: k for k in (PDF, JSON, CSV, C3D)}


def kind_for(path: Path) -> FileKind:
    """The kind the app writes under this name (by its suffix; PDF if unknown)."""
    return KINDS_BY_SUFFIX.get(path.suffix.lower(), PDF)


def describe_content(head: bytes) -> str:
    """What an existing file is, in words, from its first bytes."""
    if head.startswith(_SQLITE):
        return "a database"
    if head[:4] in _WAL_MAGIC or head.startswith(_JOURNAL_MAGIC):
        return "a database journal"
    for kind in (PDF, C3D, JSON, CSV):
        if kind.matches(head):
            return f"a {kind.name} file"
    if _text(head) is not None:
        return "a text file of another kind"
    return "a file of another kind"


# ---------------------------------------------------------------------- checks
@dataclass(frozen=True)
class OutputCheck:
    """The verdict on one output path that may be written.

    Attributes
    ----------
    path : Path
        The absolute output path.
    replaces : bool
        An existing file will be replaced (of the same kind, or another kind with
        ``force``); the GUI asks "Replace?" first.
    """

    path: Path
    replaces: bool


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _protected(db_path: Path | None) -> tuple[list[Path], list[os.stat_result], Path | None]:
    """The database's own paths, the stats of those that exist, and its backups folder."""
    if db_path is None:
        return [], [], None
    db = Path(os.path.abspath(db_path))
    names = [db, *(db.with_name(db.name + s) for s in _COMPANIONS)]
    stats = []
    for name in names:
        with contextlib.suppress(OSError):
            stats.append(name.stat())
    return names, stats, db.parent / "backups"


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def check_output(
    path: Path,
    kind: FileKind,
    *,
    db_path: Path | None = None,
    force: bool = False,
    new_folders: bool = False,
) -> OutputCheck:
    """May ``path`` be written as a file of ``kind``? Raise :class:`OutputRefused` if not.

    Nothing is written or created. ``db_path`` is the open patient database (its files and
    backups are protected); ``force`` allows replacing an existing file of another kind
    (never a database, a journal, a backup or a non-regular file); ``new_folders`` allows
    missing folders above ``path`` (they will be created).
    """
    path = Path(os.path.abspath(path))
    where = shown(path)
    names, stats, backups = _protected(db_path)
    if path in names:
        raise OutputRefused(
            f"{where} is the patient database (or its journal); choose another file"
        )
    if backups is not None and _inside(path, backups):
        raise OutputRefused(f"{where} is in the database's backups folder; choose another folder")
    try:
        info = path.stat()
    except FileNotFoundError:
        if new_folders:
            check_folder(path.parent, db_path=db_path)
        else:
            _check_parent(path)
        return OutputCheck(path, replaces=False)
    except OSError as exc:
        raise OutputRefused(f"{where}: {os_reason(exc)}") from None
    if any(_same_file(info, s) for s in stats):
        raise OutputRefused(
            f"{where} is the patient database (or its journal); choose another file"
        )
    if stat.S_ISDIR(info.st_mode):
        raise OutputRefused(f"{where} is a folder; give the path of a {kind.name} file")
    if not stat.S_ISREG(info.st_mode):
        raise OutputRefused(
            f"{where} is not a regular file (a device, pipe or socket); choose a file name"
        )
    head = _read_head(path)
    content = describe_content(head)
    if content in ("a database", "a database journal") or _is_companion(path):
        raise OutputRefused(f"{where} is {content}; choose another file")
    if head and not kind.matches(head) and not force:
        raise OutputRefused(
            f"{where} exists and is {content}, not a {kind.name} file; "
            "choose another name (or give --force to replace it)"
        )
    return OutputCheck(path, replaces=True)


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise OutputRefused(
            f"{shown(path)} cannot be read to check it: {os_reason(exc)}"
        ) from None


def _is_companion(path: Path) -> bool:
    """``x-wal``/``x-shm``/``x-journal`` beside a database ``x``."""
    for suffix in _COMPANIONS:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            base = path.with_name(path.name[: -len(suffix)])
            with contextlib.suppress(OSError):
                if base.is_file() and _read_prefix(base).startswith(_SQLITE):
                    return True
    return False


def _read_prefix(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(len(_SQLITE))


def _check_parent(path: Path) -> None:
    parent = path.parent
    try:
        info = parent.stat()
    except FileNotFoundError:
        raise OutputRefused(f"{shown(path)}: the folder {shown(parent)} does not exist") from None
    except OSError as exc:
        raise OutputRefused(f"{shown(path)}: {os_reason(exc)}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise OutputRefused(f"{shown(path)}: {shown(parent)} is not a folder")


def check_input(path: Path) -> Path:
    """An input file that may be read: it exists, is a regular file and is readable.

    Refused in one line otherwise; a pipe or a device is never opened (reading one could
    wait for ever). Returns the absolute path.
    """
    path = Path(os.path.abspath(path))
    try:
        info = path.stat()
    except FileNotFoundError:
        raise UserError(f"{shown(path)}: no such file, so it cannot be read") from None
    except OSError as exc:
        raise UserError(f"{shown(path)} cannot be read: {os_reason(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise UserError(f"{shown(path)} is a folder and cannot be read as a file")
    if not stat.S_ISREG(info.st_mode):
        raise UserError(
            f"{shown(path)} is not a regular file (a device, pipe or socket) and cannot be read"
        )
    if not os.access(path, os.R_OK):
        raise UserError(f"{shown(path)} cannot be read: permission denied")
    return path


def refuse_database_input(path: Path, db_path: Path) -> None:
    """Refuse an *input* file that is the patient database or one of its journals.

    Reading it with ordinary file I/O while this process holds SQLite connections to it
    would drop the process's locks on it when the file is closed (see
    :func:`clinic_app.storage.database._check_header`), so it is refused by name and by
    identity before anything reads it.
    """
    path = Path(os.path.abspath(path))
    names, stats, _ = _protected(db_path)
    same = path in names
    with contextlib.suppress(OSError):
        same = same or any(_same_file(path.stat(), s) for s in stats)
    if same:
        raise OutputRefused(f"{shown(path)} is {_THE_DATABASE}, not a recording")


def check_folder(folder: Path, *, db_path: Path | None = None) -> Path:
    """May files be written into ``folder`` (existing, or to be created)? Its absolute path.

    Raises :class:`OutputRefused` for a file, a device, the backups folder, or a folder
    whose nearest existing ancestor is not a folder. Nothing is created.
    """
    folder = Path(os.path.abspath(folder))
    names, stats, backups = _protected(db_path)
    if folder in names:
        raise OutputRefused(f"{shown(folder)} is {_THE_DATABASE}; give a folder")
    if backups is not None and _inside(folder, backups):
        raise OutputRefused(
            f"{shown(folder)} is the database's backups folder; choose another folder"
        )
    probe = folder
    while True:
        try:
            info = probe.stat()
            break
        except FileNotFoundError:
            if probe.parent == probe:
                raise OutputRefused(f"{shown(folder)}: no such folder") from None
            probe = probe.parent
        except OSError as exc:
            raise OutputRefused(f"{shown(folder)}: {os_reason(exc)}") from None
    if any(_same_file(info, s) for s in stats):
        raise OutputRefused(f"{shown(folder)} is the patient database; give a folder")
    if not stat.S_ISDIR(info.st_mode):
        what = "a file" if stat.S_ISREG(info.st_mode) else "not a folder"
        raise OutputRefused(f"{shown(probe)} is {what}; give a folder to write into")
    return folder
