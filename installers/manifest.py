"""What the frozen bundle must carry besides code: the single list used by the spec and checks.

Mirrors ``[tool.setuptools.package-data]`` in ``pyproject.toml``; globbed at build time so
that data files added later are shipped without editing the installers.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PACKAGE_DATA: tuple[tuple[str, str], ...] = (
    ("clinic_app", "resources/**/*"),
    ("drivers", "PROTOCOL.md"),
    ("drivers", "firmware/**/*"),
    ("drivers", "data/**/*"),
)


def package_data_files(repo: Path = REPO) -> list[Path]:
    """Every data file to ship, as paths relative to ``repo`` (posix order, no caches)."""
    found: set[Path] = set()
    for package, pattern in PACKAGE_DATA:
        for path in (repo / package).glob(pattern):
            relative = path.relative_to(repo)
            if (
                path.is_file()
                and "__pycache__" not in relative.parts
                and path.suffix not in {".pyc", ".pyo"}
            ):
                found.add(relative)
    return sorted(found, key=lambda p: p.as_posix())


def pyinstaller_datas(repo: Path = REPO) -> list[tuple[str, str]]:
    """``(source, destination folder)`` pairs for PyInstaller's ``Analysis(datas=...)``."""
    return [(str(repo / rel), rel.parent.as_posix()) for rel in package_data_files(repo)]


def modules_under(package: str, repo: Path = REPO) -> list[str]:
    """Every module of a first-party package, found on disk (nothing is imported).

    The CLI and the UI import commands, bench figures, screens and the selftest with
    :mod:`importlib`, which PyInstaller's static analysis cannot follow.
    """
    names = []
    for path in sorted((repo / package).rglob("*.py")):
        relative = path.relative_to(repo)
        if "__pycache__" in relative.parts:
            continue
        parts = relative.with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names
