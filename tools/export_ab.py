"""Time clinic-wide exports of this checkout against an earlier revision, on one machine.

The issue's clinic (the bench 'db' group's 10,000 patients, 100,000 visits and 300,000
trials, each result with its own numbers) is seeded with this checkout's code, then copied
row for row into a database that the earlier revision's own ``Database.open`` created at
its schema (columns both schemas have). Each export then runs as the real command in a
fresh process, the two revisions alternating, and the wall time and the process's peak
memory (GNU time's maximum resident set size of the process, its largest single one) are
printed, with the ratio of the medians.

Usage (from the repository root, with the project installed)::

    python tools/export_ab.py 929f401 --runs 3 [--quick] [--formats csv json fhir]

The earlier revision is checked out as a git worktree under ``$TMPDIR``; its Python files
are compiled first, as an installed system has them.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clinic_app.bench.export import seed_visits_clinic  # noqa: E402

_TABLES = ("patients", "sessions", "trials")


def _old_database(rev_tree: Path, source: Path, target: Path) -> None:
    subprocess.run(
        [sys.executable, "-c", "import sys; from clinic_app.storage import Database; "
         "Database.open(sys.argv[1], backup_on_start=False).close()", str(target)],
        env={**os.environ, "PYTHONPATH": str(rev_tree)}, check=True,
        cwd=tempfile.gettempdir(),  # not this checkout: "-c" puts the folder first on the path
    )  # fmt: skip
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("ATTACH ? AS new", (str(source),))
    conn.execute("BEGIN")
    for table in _TABLES:
        old = [r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")]
        new = {r[1] for r in conn.execute(f"PRAGMA new.table_info({table})")}
        columns = ", ".join(c for c in old if c in new)
        conn.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM new.{table}")
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def _run(tree: Path | None, db: Path, fmt: str, out: Path) -> tuple[float, float]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
    }
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    extra = ["--no-recordings"] if fmt == "json" else []
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", sys.executable, "-m", "clinic_app", "--db", str(db),
         "export", "--all", "--format", fmt, "-o", str(out), *extra],
        env=env, cwd=tempfile.gettempdir(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(
            f"{tree or 'this checkout'}: export --format {fmt} failed:\n{done.stderr}"
        )
    seconds, kb = done.stderr.strip().splitlines()[-1].split()
    subprocess.run(["rm", "-rf", str(out)], check=True)
    return float(seconds), int(kb) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revision")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a tenth of the clinic")
    parser.add_argument("--formats", nargs="+", default=["csv", "json", "fhir"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dorsilab-export-ab-") as folder:
        work = Path(folder)
        old_tree = work / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach",
                        str(old_tree), args.revision], check=True)  # fmt: skip
        try:
            for checkout in (ROOT, old_tree):
                sources = [str(checkout / "clinic_app"), str(checkout / "drivers")]
                compile_all = [sys.executable, "-m", "compileall", "-q", *sources]
                subprocess.run(compile_all, check=True, capture_output=True)
            new_db, old_db = work / "new.sqlite3", work / "old.sqlite3"
            n = seed_visits_clinic(new_db, args.quick)
            _old_database(old_tree, new_db, old_db)
            print(f"{n} patients exported; {args.revision} against {ROOT.name} (this checkout)")
            for fmt in args.formats:
                times: dict[str, list[float]] = {"old": [], "new": []}
                peaks: dict[str, list[float]] = {"old": [], "new": []}
                for run in range(args.runs):
                    sides: tuple[tuple[str, Path | None, Path], ...] = (
                        ("old", old_tree, old_db),
                        ("new", None, new_db),
                    )
                    for label, tree, db in sides:
                        seconds, peak = _run(tree, db, fmt, work / f"out-{label}")
                        times[label].append(seconds)
                        peaks[label].append(peak)
                        print(f"  {fmt:4} {label} run {run + 1}: {seconds:6.2f} s, {peak:6.0f} MB")
                old_s, new_s = statistics.median(times["old"]), statistics.median(times["new"])
                print(f"{fmt}: median {old_s:.2f} s -> {new_s:.2f} s = {old_s / new_s:.1f}x")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(old_tree)], check=False)  # fmt: skip


if __name__ == "__main__":
    main()
