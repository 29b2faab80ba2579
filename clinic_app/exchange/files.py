"""Writing export files so that nothing is ever half-written."""

from __future__ import annotations

from pathlib import Path


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` through a temporary file beside it, then rename.

    A reader sees either the old file or the whole new one; on any error the temporary
    file is removed and ``path`` is untouched.
    """
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_text(text, encoding="utf-8", newline="")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
