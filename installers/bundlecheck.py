"""Check a frozen DorsiLab bundle by running it the way a clinic would, headless.

The frozen ``clinic-app`` runs with a scrubbed environment (no ``PYTHONPATH``, a temporary
``HOME`` and ``DORSILAB_HOME``, the working directory outside the source tree), so it can
only succeed with what the bundle itself carries.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from installers import elfinfo, manifest

CONTENTS_DIR = "_internal"
SELFTEST_TIMEOUT_S = 300


@dataclass
class BundleReport:
    """What the checks of a frozen bundle found."""

    problems: list[str] = field(default_factory=list)
    version_output: str | None = None
    selftest_exit: int | None = None
    x11_selftest_exit: int | None = None


def program_path(bundle: Path) -> Path:
    """The console program inside a one-folder bundle."""
    return bundle / ("clinic-app.exe" if sys.platform == "win32" else "clinic-app")


def expected_data(repo: Path) -> list[str]:
    """Bundle-relative paths of every package data file the bundle must carry."""
    return [f"{CONTENTS_DIR}/{rel.as_posix()}" for rel in manifest.package_data_files(repo)]


def clean_env(home: Path) -> dict[str, str]:
    """A minimal environment: offscreen Qt, a private HOME and DORSILAB_HOME."""
    keep = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT", "TEMP", "TMP", "WINDIR")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        HOME=str(home / "home"),
        USERPROFILE=str(home / "home"),
        XDG_RUNTIME_DIR=str(home / "runtime"),
        DORSILAB_HOME=str(home / "dorsilab-home"),
        QT_QPA_PLATFORM="offscreen",
    )
    for folder in ("home", "runtime", "dorsilab-home"):
        (home / folder).mkdir(mode=0o700, exist_ok=True)
    return env


def run_frozen(
    bundle: Path, args: list[str], home: Path, timeout: float = 120, *, x11: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the frozen ``clinic-app`` with ``args`` in the clean environment.

    With ``x11`` it runs on a virtual X server (``xvfb-run``) through Qt's xcb platform
    plugin, the one a clinic's Linux desktop uses, instead of the offscreen one.
    """
    env = clean_env(home)
    command = [str(program_path(bundle)), *args]
    if x11:
        env["QT_QPA_PLATFORM"] = "xcb"
        command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", *command]
    return subprocess.run(
        command,
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def check_bundle(bundle: Path, version: str, repo: Path, log: Path) -> BundleReport:
    """Run every check on ``bundle``; writes the output of the frozen selftest to ``log``."""
    results = BundleReport()
    problems = results.problems
    program = program_path(bundle)
    if not program.is_file():
        problems.append(f"{program}: missing")
        return results
    for relative in expected_data(repo):
        if not (bundle / relative).is_file():
            problems.append(f"{relative}: package data missing from the bundle")
    if sys.platform.startswith("linux"):
        for name, libs in elfinfo.missing_libraries(bundle).items():
            problems.append(f"{name}: cannot load {', '.join(libs)}")

    with tempfile.TemporaryDirectory(prefix="dorsilab-frozen-") as tmp:
        home = Path(tmp)
        out = run_frozen(bundle, ["--version"], home)
        results.version_output = out.stdout.strip()
        if out.returncode != 0 or out.stdout.strip() != f"DorsiLab {version}":
            problems.append(
                f"clinic-app --version: exit {out.returncode}, printed {out.stdout.strip()!r}"
                f" (expected 'DorsiLab {version}'); stderr: {out.stderr.strip()[-500:]}"
            )
        out = run_frozen(bundle, ["--help"], home)
        if out.returncode != 0 or "selftest" not in out.stdout:
            problems.append(f"clinic-app --help: exit {out.returncode}, no 'selftest' listed")
        out = run_frozen(
            bundle, ["--db", str(home / "no-such-folder" / "x.sqlite3"), "selftest"], home
        )
        if out.returncode != 2 or len(out.stderr.strip().splitlines()) != 1:
            problems.append(
                "clinic-app --db <missing folder>: expected exit 2 with one line on stderr, got "
                f"exit {out.returncode}: {out.stderr.strip()[-300:]!r}"
            )

        try:
            out = run_frozen(bundle, ["selftest"], home, timeout=SELFTEST_TIMEOUT_S)
            returncode, stdout, stderr = out.returncode, out.stdout, out.stderr
        except subprocess.TimeoutExpired as exc:
            returncode, stdout, stderr = (
                -1,
                str(exc.stdout or ""),
                f"timed out after {exc.timeout} s",
            )
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(
            f"$ clinic-app selftest  (exit {returncode})\n"
            f"--- stdout\n{stdout}\n--- stderr\n{stderr}\n",
            encoding="utf-8",
        )
        results.selftest_exit = returncode
        if returncode != 0:
            tail = "\n    ".join((stdout + stderr).strip().splitlines()[-15:])
            problems.append(f"clinic-app selftest: exit {returncode} (log: {log}):\n    {tail}")
        if sys.platform.startswith("linux") and shutil.which("xvfb-run"):
            out = run_frozen(bundle, ["selftest"], home, timeout=SELFTEST_TIMEOUT_S, x11=True)
            results.x11_selftest_exit = out.returncode
            with log.open("a", encoding="utf-8") as handle:
                handle.write(
                    f"\n$ xvfb-run clinic-app selftest  (QT_QPA_PLATFORM=xcb, exit "
                    f"{out.returncode})\n--- stdout\n{out.stdout}\n--- stderr\n{out.stderr}\n"
                )
            if out.returncode != 0:
                tail = "\n    ".join((out.stdout + out.stderr).strip().splitlines()[-15:])
                problems.append(
                    f"clinic-app selftest on X11 (xcb): exit {out.returncode}:\n    {tail}"
                )
        clinic_data = home / "home" / ".local" / "share" / "DorsiLab"
        if clinic_data.exists():
            problems.append(f"selftest wrote to the user data folder {clinic_data}")
    return results
