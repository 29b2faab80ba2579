"""Build DorsiLab's installer for the platform this runs on.

Usage (from anywhere; paths are relative to the repository)::

    python installers/build.py            # bundle + packages into dist/
    python installers/build.py --check    # ... then run the frozen program and check packages
    python installers/build.py --skip-deb # Linux: only the bundle and the .tar.gz

Steps:

1. Build requirements: the runtime dependencies from ``pyproject.toml`` and PyInstaller
   (``dev`` extra) are installed into the running virtual environment; run outside one, the
   script first creates ``build/venv`` and re-runs itself there. DorsiLab itself is
   installed there in editable mode, which compiles its optional C module
   (``drivers/codecs/_lineplate_c.c``) next to its source, where PyInstaller looks for it.
2. PyInstaller with ``installers/dorsilab.spec`` -> ``dist/dorsilab/`` (``clinic-app``,
   ``clinic-app.exe`` on Windows; ``dist/DorsiLab.app`` on macOS).
3. Packages: Linux ``dist/dorsilab-<v>-linux-<machine>.tar.gz`` and
   ``dist/dorsilab_<v>_<arch>.deb``; Windows ``dist/DorsiLab-<v>-setup.exe`` with Inno Setup
   (when ``iscc`` is installed); macOS ``dist/DorsiLab-<v>.dmg`` with ``hdiutil``.
4. ``--check``: the frozen ``--version``, ``--help``, a user error and ``selftest`` (offscreen,
   private ``DORSILAB_HOME``), bundled data and libraries, and the ``.deb`` contents.

Prints the bundle size, package sizes and build time; writes ``dist/build-summary.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from installers import bundlecheck, debpkg, elfinfo  # noqa: E402

DIST = REPO / "dist"
BUILD = REPO / "build"
SPEC = REPO / "installers" / "dorsilab.spec"
IS_LINUX = sys.platform.startswith("linux")
IS_WINDOWS = sys.platform == "win32"
IS_MACOS = sys.platform == "darwin"


def read_version() -> str:
    """``clinic_app._version.__version__``, read as text."""
    text = (REPO / "clinic_app" / "_version.py").read_text(encoding="utf-8")
    match = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", text, re.MULTILINE)
    if match is None:
        raise SystemExit("build.py: no __version__ in clinic_app/_version.py")
    return match.group(1)


def build_requirements() -> list[str]:
    """Runtime dependencies plus PyInstaller, as pip requirement strings."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dev = project.get("optional-dependencies", {}).get("dev", [])
    pyinstaller = [req for req in dev if req.lower().startswith("pyinstaller")]
    return list(project["dependencies"]) + (pyinstaller or ["pyinstaller>=6.10,<7"])


def in_virtualenv() -> bool:
    """Whether this interpreter is a virtual environment (never pip-install elsewhere)."""
    return sys.prefix != sys.base_prefix


def reexec_in_build_venv(argv: list[str]) -> int:
    """Create ``build/venv`` and run this script again with its interpreter."""
    env_dir = BUILD / "venv"
    python = env_dir / ("Scripts/python.exe" if IS_WINDOWS else "bin/python")
    if not python.exists():
        print(f"build.py: creating the build environment {env_dir}", flush=True)
        venv.create(env_dir, with_pip=True, clear=True)
    return subprocess.call([str(python), str(Path(__file__).resolve()), *argv])


def install_requirements() -> None:
    """pip-install the build requirements into the running virtual environment."""
    requirements = build_requirements()
    print(f"build.py: installing build requirements into {sys.prefix}", flush=True)
    _pip_install(*requirements)


def _pip_install(*arguments: str) -> None:
    """``pip install --quiet ARGUMENTS`` into the running virtual environment."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         *arguments],
        check=True,
    )  # fmt: skip


def build_extension() -> None:
    """Compile the optional C module in place (``pip install -e``; see ``setup.py``).

    Without a C compiler pip says that building it failed and the bundle decodes the line
    plate's small reads in plain Python (the spec prints a warning then).
    """
    print("build.py: compiling the optional C module in place", flush=True)
    _pip_install("--no-deps", "--editable", str(REPO))


def windows_version_file(version: str, folder: Path = BUILD) -> Path:
    """A PyInstaller version-resource file for the Windows executables, in ``folder``."""
    numbers = [int(part) for part in re.findall(r"\d+", version)[:3]]
    numbers += [0] * (4 - len(numbers))
    quad = tuple(numbers)
    strings = {
        "CompanyName": "DorsiLab",
        "FileDescription": "DorsiLab",
        "FileVersion": version,
        "InternalName": "DorsiLab",
        "LegalCopyright": "DorsiLab contributors, MIT licence",
        "OriginalFilename": "clinic-app.exe",
        "ProductName": "DorsiLab",
        "ProductVersion": version,
    }
    table = ", ".join(f"StringStruct({k!r}, {v!r})" for k, v in strings.items())
    text = (
        f"VSVersionInfo(ffi=FixedFileInfo(filevers={quad}, prodvers={quad}, mask=0x3f, flags=0x0, "
        "OS=0x40004, fileType=0x1, subtype=0x0, date=(0, 0)), kids=[StringFileInfo("
        f"[StringTable('040904B0', [{table}])]), VarFileInfo([VarStruct('Translation', "
        "[1033, 1200])])])\n"
    )
    path = folder / "windows-version-info.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run_pyinstaller(version: str) -> None:
    """Freeze the app with the spec into ``dist/``."""
    env = dict(os.environ)
    if IS_WINDOWS:
        env["DORSILAB_WIN_VERSION_FILE"] = str(windows_version_file(version))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(DIST),
            "--workpath",
            str(BUILD / "pyinstaller"),
            str(SPEC),
        ],
        check=True,
        cwd=REPO,
        env=env,
    )


def strip_python_library(bundle: Path) -> None:
    """Remove the debug sections from the bundled ``libpython`` (Linux).

    A Python built from source (pyenv, deadsnakes) keeps ~17 MB of DWARF data in
    ``libpython3.x.so``. Only that library is stripped: ``strip`` on the wheels' own
    libraries (patched by auditwheel with patchelf, e.g. OpenBLAS) makes them unloadable.
    """
    strip = shutil.which("strip")
    if strip is None:
        return
    for library in sorted((bundle / "_internal").glob("libpython3*.so*")):
        if library.is_file() and not library.is_symlink():
            subprocess.run([strip, "--strip-debug", str(library)], check=True)


def disk_usage(path: Path) -> int:
    """Bytes ``path`` occupies on disk, like ``du`` (hard links and symlinks counted once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
        info = item.lstat()
        if (info.st_dev, info.st_ino) in seen:
            continue
        seen.add((info.st_dev, info.st_ino))
        blocks = getattr(info, "st_blocks", None)
        total += blocks * 512 if blocks is not None else info.st_size
    return total


def make_tarball(bundle: Path, version: str) -> Path:
    """``dorsilab-<v>-linux-<machine>.tar.gz``: the bundle plus the desktop/udev files."""
    name = f"dorsilab-{version}"
    output = DIST / f"{name}-linux-{platform.machine()}.tar.gz"
    linux = REPO / "installers" / "linux"
    extras = {
        "extras/org.dorsilab.DorsiLab.desktop": linux / debpkg.DESKTOP_FILE,
        "extras/60-dorsilab-serial.rules": linux / debpkg.UDEV_RULE,
        "extras/dorsilab.svg": debpkg.ICONS / "dorsilab.svg",
        "extras/dorsilab-256.png": debpkg.ICONS / "dorsilab-256.png",
        "INSTALL.txt": linux / "INSTALL.txt",
    }

    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        if info.isdir():
            info.mode = 0o755
        elif info.isfile():
            source = bundle / Path(info.name).relative_to(name) if info.name != name else None
            executable = source is not None and source.exists() and elfinfo.is_program(source)
            info.mode = 0o755 if executable else 0o644
        return info

    with tarfile.open(output, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=name, filter=normalise)
        for arcname, source in extras.items():
            info = tar.gettarinfo(str(source), arcname=f"{name}/{arcname}")
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mode = 0o644
            with source.open("rb") as handle:
                tar.addfile(info, handle)
    return output


def make_deb(bundle: Path, version: str) -> Path:
    """Stage and pack ``dorsilab_<v>_<arch>.deb``."""
    arch = debpkg.deb_architecture()
    staging = debpkg.stage(bundle, BUILD / "deb" / f"dorsilab_{version}_{arch}", version, arch)
    return debpkg.build(staging, DIST / f"dorsilab_{version}_{arch}.deb")


def make_windows_installer(version: str) -> Path | None:
    """Run Inno Setup's ``iscc`` on ``installers/windows/dorsilab.iss`` if it is installed."""
    candidates = [shutil.which("iscc")] + [
        str(Path(os.environ.get(var, "")) / "Inno Setup 6" / "ISCC.exe")
        for var in ("ProgramFiles(x86)", "ProgramFiles", "LOCALAPPDATA")
    ]
    iscc = next((c for c in candidates if c and Path(c).is_file()), None)
    if iscc is None:
        print("build.py: Inno Setup (iscc) not found; skipped the Windows installer")
        return None
    subprocess.run(
        [
            iscc,
            f"/DAppVersion={version}",
            f"/DSourceDir={DIST / 'dorsilab'}",
            f"/DOutputDir={DIST}",
            f"/DIconFile={debpkg.ICONS / 'dorsilab.ico'}",
            str(REPO / "installers" / "windows" / "dorsilab.iss"),
        ],
        check=True,
    )
    return DIST / f"DorsiLab-{version}-setup.exe"


def make_dmg(version: str) -> Path:
    """Wrap ``dist/DorsiLab.app`` in a compressed disk image with ``hdiutil``."""
    output = DIST / f"DorsiLab-{version}.dmg"
    subprocess.run(
        [
            "bash",
            str(REPO / "installers" / "macos" / "make_dmg.sh"),
            str(DIST / "DorsiLab.app"),
            str(output),
            version,
        ],
        check=True,
    )
    return output


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="installers/build.py", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="run and check what was built")
    parser.add_argument("--check-only", action="store_true", help="check dist/ without building")
    parser.add_argument("--skip-deb", action="store_true", help="Linux: no .deb")
    parser.add_argument(
        "--no-install", action="store_true", help="use the interpreter's packages as they are"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Build (and check) the installer for this platform; returns the exit code."""
    raw_argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(raw_argv)
    if not args.no_install and not args.check_only and not in_virtualenv():
        return reexec_in_build_venv(raw_argv)
    version = read_version()
    summary: dict[str, object] = {"version": version, "platform": sys.platform}
    started = time.monotonic()
    bundle = DIST / "dorsilab"
    artifacts: list[Path] = []

    if not args.check_only:
        if not args.no_install:
            install_requirements()
            build_extension()
        summary["requirements_s"] = round(time.monotonic() - started, 1)
        t0 = time.monotonic()
        run_pyinstaller(version)
        if IS_LINUX:
            strip_python_library(bundle)
        summary["pyinstaller_s"] = round(time.monotonic() - t0, 1)
        t0 = time.monotonic()
        if IS_LINUX:
            artifacts.append(make_tarball(bundle, version))
            tarball_s = time.monotonic() - t0
            summary["tarball_s"] = round(tarball_s, 1)
            if not args.skip_deb:
                if shutil.which("dpkg-deb") is None:
                    print("build.py: dpkg-deb not found; skipped the .deb (use --skip-deb)")
                else:
                    artifacts.append(make_deb(bundle, version))
                    summary["deb_s"] = round(time.monotonic() - t0 - tarball_s, 1)
        elif IS_WINDOWS:
            installer = make_windows_installer(version)
            artifacts += [installer] if installer else []
        elif IS_MACOS:
            artifacts.append(make_dmg(version))
        summary["packaging_s"] = round(time.monotonic() - t0, 1)
        summary["build_s"] = round(time.monotonic() - started, 1)
    else:
        artifacts = sorted(DIST.glob("*.deb")) + sorted(DIST.glob("*.tar.gz"))

    summary["bundle_mb"] = round(disk_usage(bundle) / 2**20, 1)
    summary["artifacts"] = {p.name: round(p.stat().st_size / 2**20, 1) for p in artifacts}
    print(f"\nbuild.py: DorsiLab {version}: bundle {bundle} {summary['bundle_mb']} MB on disk")
    for name, size in summary["artifacts"].items():  # type: ignore[attr-defined]
        print(f"build.py:   {name}: {size} MB")
    if "build_s" in summary:
        print(
            f"build.py: build time {summary['build_s']} s (PyInstaller "
            f"{summary['pyinstaller_s']} s, packaging {summary['packaging_s']} s)"
        )

    exit_code = 0
    if args.check or args.check_only:
        exit_code = run_checks(bundle, version, artifacts, summary)
    (DIST / "build-summary.json").write_text(
        json.dumps(summary, indent=2) + "\n", encoding="utf-8"
    )
    return exit_code


def run_checks(
    bundle: Path, version: str, artifacts: list[Path], summary: dict[str, object]
) -> int:
    """Run the bundle and package checks, print every problem, return 0 or 1."""
    t0 = time.monotonic()
    results = bundlecheck.check_bundle(bundle, version, REPO, DIST / "selftest.log")
    problems = list(results.problems)
    for deb in (p for p in artifacts if p.suffix == ".deb"):
        expected = bundlecheck.expected_data(REPO)
        problems += [f"{deb.name}: {p}" for p in debpkg.check_deb(deb, version, expected)]
    summary["check_s"] = round(time.monotonic() - t0, 1)
    summary["selftest_exit"] = results.selftest_exit
    summary["x11_selftest_exit"] = results.x11_selftest_exit
    summary["problems"] = problems
    print(f"build.py: frozen --version printed {results.version_output!r}")
    print(f"build.py: frozen selftest exit {results.selftest_exit} (log: dist/selftest.log)")
    if results.x11_selftest_exit is not None:
        print(f"build.py: frozen selftest on X11 (Xvfb, xcb) exit {results.x11_selftest_exit}")
    if problems:
        print(f"build.py: CHECK FAILED, {len(problems)} problem(s):")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"build.py: all checks passed ({summary['check_s']} s)")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except subprocess.CalledProcessError as exc:
        command = " ".join(str(part) for part in exc.cmd[:4])
        sys.stderr.write(f"build.py: error: '{command} ...' failed with exit {exc.returncode}\n")
        raise SystemExit(1) from None
