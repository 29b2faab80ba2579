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
(:class:`Staging`): the files appear under their final names only when every one of them
was written whole, so a full disk, a read-only folder or a name too long leaves nothing
behind. Files are owner-only (0600), folders the app creates 0700.

Refusals and operating-system failures are :class:`~clinic_app.errors.UserError`\\ s whose
message is one line naming the path and what is wrong.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from clinic_app.errors import UserError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
SNIFF_BYTES = 4096
"""How much of an existing file is read to tell its kind."""

_SQLITE = b"SQLite format 3\x00"
_WAL_MAGIC = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")
_JOURNAL_MAGIC = b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7"
_COMPANIONS = ("-wal", "-shm", "-journal")
_STAGING_PREFIX = ".dorsilab-writing-"
_THE_DATABASE = "the patient database (or its journal)"


class OutputRefused(UserError):
    """The output path may not be written (the message says why, in one line)."""


def shown(path: Path | str) -> str:
    """``path`` for a one-line message: control characters escaped, never a line break."""
    text = os.fspath(path)
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


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


# ---------------------------------------------------------------------- OS errors
_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file is too large for this disk (or the disk is full)",
    errno.EROFS: "the disk is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "part of the path is not a folder",
    errno.EISDIR: "it is a folder",
    errno.EIO: "the disk reported an input/output error",
    errno.EEXIST: "a file of that name appeared meanwhile",
}


def os_reason(exc: OSError) -> str:
    """An operating-system failure in words (no traceback, no errno numbers)."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return (exc.strerror or type(exc).__name__).lower()


def make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents, each owner-only (0700); return the
    folders created, outermost first.

    Raises
    ------
    UserError
        If a folder cannot be created (one line, in words).
    """
    missing = []
    probe = Path(folder)
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    created: list[Path] = []
    for path in reversed(missing):
        try:
            path.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue
        except OSError as exc:
            remove_empty(created)
            raise UserError(f"cannot create the folder {shown(path)}: {os_reason(exc)}") from None
        path.chmod(PRIVATE_DIR)  # mkdir's mode is filtered by the umask
        created.append(path)
    return created


def remove_empty(folders: Sequence[Path]) -> None:
    """Remove the given folders, innermost first, where they are (still) empty."""
    for path in reversed(folders):
        with contextlib.suppress(OSError):
            path.rmdir()


# ---------------------------------------------------------------------- writing
class Staging:
    """A private folder inside ``root`` where outputs are written before they appear.

    ``with Staging(root) as stage:`` create files at ``stage.path_for(final)`` (same
    relative place as ``final`` below ``root``), then :meth:`publish` moves them into
    place (0600 files, 0700 new folders). Leaving the block removes whatever is still in
    the staging folder, so a failure before :meth:`publish` leaves nothing behind.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.abspath(root))
        self.folder: Path | None = None
        self.published: list[Path] = []
        self._created: list[Path] = []

    def __enter__(self) -> Staging:
        self._created = make_folders(self.root)
        try:
            self.folder = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=self.root))
        except OSError as exc:
            remove_empty(self._created)
            raise UserError(f"cannot write into {shown(self.root)}: {os_reason(exc)}") from None
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
        if not self.published:  # nothing appeared: the folders made for it go too
            remove_empty(self._created)

    def path_for(self, final: Path) -> Path:
        """Where to write the file that will become ``final`` (its folders are created)."""
        assert self.folder is not None, "use Staging in a with block"
        relative = Path(os.path.abspath(final)).relative_to(self.root)
        target = self.folder / relative
        target.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
        return target

    def publish(self, finals: Sequence[Path]) -> list[Path]:
        """Move the staged files into place, owner-only; return the final paths.

        Raises
        ------
        UserError
            If a file cannot be moved into place (files already moved stay, whole).
        """
        for final in finals:
            final = Path(os.path.abspath(final))
            staged = self.path_for(final)
            try:
                os.chmod(staged, PRIVATE_FILE)
                make_folders(final.parent)
                os.replace(staged, final)
            except OSError as exc:
                raise UserError(f"cannot write {shown(final)}: {os_reason(exc)}") from None
            self.published.append(final)
        return list(self.published)


@contextlib.contextmanager
def writing(what: Path) -> Iterator[None]:
    """Turn an operating-system failure while writing ``what`` into a one-line UserError."""
    try:
        yield
    except OSError as exc:
        raise UserError(
            f"cannot write {shown(what)}: {os_reason(exc)}; nothing was written"
        ) from None


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file ``path`` (owner-only) and flush it to the disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret (e.g. the patient's names in a file name) replaced."""
    for secret in sorted((s for s in secrets if s and len(s) >= 2), key=len, reverse=True):
        lowered = text.lower()
        start = lowered.find(secret.lower())
        while start >= 0:
            text = text[:start] + "[name]" + text[start + len(secret) :]
            lowered = text.lower()
            start = lowered.find(secret.lower(), start + len("[name]"))
    return text
