"""Writing outputs all or nothing, owner-only, with operating-system failures in words.

The writing half of the output boundary (the checks are :mod:`clinic_app.output_paths`):
a private staging folder inside the destination (:class:`Staging`) where files are
written whole before they appear under their names, folders created 0700 and files 0600,
and :func:`writing`, which turns an ``OSError`` (full disk, read-only folder, a name too
long, ``/proc``) into one line a clinician can act on.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from clinic_app.errors import UserError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
_STAGING_PREFIX = ".dorsilab-writing-"


def shown(path: Path | str) -> str:
    """``path`` for a one-line message: control characters escaped, never a line break."""
    text = os.fspath(path)
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


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
