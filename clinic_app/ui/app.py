"""Start the GUI: the application object, the database (with recovery), the main window.

:func:`run_gui` is what ``clinic-app`` without a sub-command calls. The selftest and the
startup probe use the same pieces (:func:`create_application`, :func:`open_database`,
:func:`create_main_window`) so that they measure and test the real start-up path.
"""

from __future__ import annotations

import gc
import logging
import sys
from typing import Any

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from clinic_app import __version__, paths
from clinic_app.commands import AppContext
from clinic_app.errors import UserError
from clinic_app.storage import Database
from clinic_app.storage.backups import restore_backup
from clinic_app.storage.errors import DatabaseCorruptError, DatabaseOpenError, StorageError
from clinic_app.ui import crash, shutdown, theme
from clinic_app.ui.main_window import MainWindow
from clinic_app.ui.maintenance import start_daily_backup
from drivers.registry import default_registry

log = logging.getLogger(__name__)


def binding_problem(pyside_version: str, python: tuple[int, int]) -> str | None:
    """Why this Qt for Python cannot run DorsiLab, or None when it can.

    PySide6 6.12.0 returns ``None`` from every void method without taking a reference,
    which is harmless from Python 3.12 on (``None`` is immortal there) but on Python 3.11
    removes one reference to ``None`` per call: a window that updates a plot dies with
    "Fatal Python error: deallocating None" within seconds to minutes. Measured here:
    1,000 calls of ``QLabel.setText`` drop 1,000 references; 6.11.3 drops none.
    """
    parts = tuple(int(p) for p in pyside_version.split(".")[:2] if p.isdigit())
    if python < (3, 12) and parts >= (6, 12):
        return (
            f"Qt for Python {pyside_version} crashes on Python {python[0]}.{python[1]} "
            "(a reference-counting defect); install PySide6-Essentials 6.11 with "
            "pip install 'PySide6-Essentials>=6.8,<6.12', or use Python 3.12 or newer"
        )
    return None


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with DorsiLab's names, high-DPI policy, look and crash handling.

    Raises
    ------
    UserError
        If the installed Qt for Python is known to crash with this Python.
    """
    problem = binding_problem(pyside_version, sys.version_info[:2])
    if problem is not None:
        raise UserError(problem)
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        # Fractional scale factors (125 %, 150 %) as they are, not rounded: crisp text.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication(argv if argv is not None else sys.argv[:1])
    QCoreApplication.setOrganizationName("DorsiLab")
    QCoreApplication.setApplicationName("DorsiLab")
    QCoreApplication.setApplicationVersion(__version__)
    QGuiApplication.setApplicationDisplayName("DorsiLab")
    # Lets the desktop match windows to the installed menu entry (Wayland app id) and icon.
    QGuiApplication.setDesktopFileName("org.dorsilab.DorsiLab")
    app.setWindowIcon(QIcon(str(paths.resource("icons", "dorsilab.svg"))))
    theme.apply(app)
    crash.install()
    return app


def open_database(
    ctx: AppContext, parent: QWidget | None = None, *, interactive: bool = True
) -> Database | None:
    """Open ``ctx.db_path``; on damage, explain it and offer the newest backup.

    Returns None when the user chose to quit (the caller exits with status 1). With
    ``interactive=False`` (selftest, startup probe: nobody may be there to click) storage
    errors are raised instead of shown.
    """
    if ctx.db_url is not None:
        return _sign_in(ctx, parent, interactive=interactive)
    while True:
        try:
            db = Database.open(ctx.db_path, backup_on_start=False)  # backed up in the background
        except DatabaseCorruptError as exc:
            log.error("database damaged at start: %s", type(exc).__name__)
            if not interactive:
                raise
            if not _offer_restore(exc, parent):
                return None
            continue
        except StorageError as exc:
            log.error("database could not be opened: %s", type(exc).__name__)
            if not interactive:
                raise
            _show_open_error(exc, ctx, parent)
            return None
        if ctx.demo:
            _seed_demo(db)
        if interactive and db.sign_in_required():  # the file has logins: who is working?
            from clinic_app.ui.signin.dialog import file_sign_in

            if not file_sign_in(db, parent):
                db.close()
                return None
        return db


def _sign_in(ctx: AppContext, parent: QWidget | None, *, interactive: bool) -> Database | None:
    """Sign in to the clinic server: the dialog, or (not interactive) libpq's own password."""
    from clinic_app.storage.server_database import ServerDatabase
    from clinic_app.ui.signin.dialog import server_sign_in

    assert ctx.db_url is not None
    if not interactive:
        return ServerDatabase.connect(ctx.db_url)
    db = server_sign_in(ctx.db_url, parent)
    if db is not None:
        log.info("signed in to the clinic server as role %s", db.role)
        _store_waiting_writes(db, parent)
    return db


def _store_waiting_writes(db: Database, parent: QWidget | None) -> None:
    """Recording writes an earlier run kept on this computer go to the server first."""
    from clinic_app.protocols.spool import replay, spool_for

    spool = spool_for(db)
    if spool is None:
        return
    try:
        waiting = spool.count()
        if not waiting:
            return
        try:
            stored = replay(db, spool)
        except StorageError as exc:
            QMessageBox.warning(
                parent,
                "Recordings still on this computer",
                f"{spool.count()} recording writes kept on this computer while the clinic "
                f"server was out of reach could not be stored yet: {exc} They stay here and "
                "are tried again at the next sign-in.",
            )
            return
        QMessageBox.information(
            parent,
            "Recordings stored",
            f"{stored} recording writes kept on this computer while the clinic server was "
            "out of reach are now stored on the server.",
        )
    finally:
        spool.close()


def _show_open_error(exc: StorageError, ctx: AppContext, parent: QWidget | None) -> None:
    box = QMessageBox(
        QMessageBox.Icon.Critical,
        "DorsiLab cannot open the database",
        str(exc),
        QMessageBox.StandardButton.Close,
        parent,
    )
    box.setObjectName("databaseError")
    box.setInformativeText(f"Database file: {ctx.db_path}")
    box.exec()


def _offer_restore(exc: DatabaseOpenError, parent: QWidget | None) -> bool:
    """Show the damage in words; True after a successful restore, False to quit."""
    box = QMessageBox(parent)
    box.setObjectName("corruptDatabase")
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("The patient database is damaged")
    box.setText(str(exc))
    backup = exc.newest_backup
    restore = None
    if backup is not None:
        box.setInformativeText(
            f"DorsiLab can replace it with the newest backup, {backup.name}. Work saved after "
            "that backup was made will be missing. The damaged file is kept beside it, "
            "renamed, so that nothing is erased."
        )
        restore = box.addButton("Restore the newest backup", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(restore)
    else:
        box.setInformativeText(
            "There is no backup of this database. Keep the file for your support contact; "
            f"it is at {exc.db_path}."
        )
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    if restore is None or box.clickedButton() is not restore or backup is None:
        return False
    try:
        restore_backup(exc.db_path, backup)
    except StorageError as restore_error:
        QMessageBox.critical(parent, "Restore failed", str(restore_error))
        return False
    log.warning("database restored from the newest backup after damage at start")
    return True


def _seed_demo(db: Database) -> None:
    """Fill the demo database on first use (idempotent).

    ``clinic_app.demo_data.ensure_demo_data`` adds visits as the workflow lands; until
    it exists the storage's fictional patients are seeded directly.
    """
    try:
        from clinic_app.demo_data import ensure_demo_data
    except ModuleNotFoundError as exc:
        if exc.name != "clinic_app.demo_data":
            raise
        from clinic_app.storage.demo_seed import seed_demo_patients

        seed_demo_patients(db)
        return
    ensure_demo_data(db)


def create_main_window(ctx: AppContext, db: Any) -> MainWindow:
    """The main window over an open database (not yet shown)."""
    return MainWindow(ctx, db)


def start_demo_devices(window: MainWindow) -> None:
    """``--demo``: a simulated inclinometer and plate in the shared device registry.

    The simulated patient who "stands" on them is kept as ``window.demo_patient`` so that
    the assessment can prompt it (:meth:`drivers.simulated.SimulatedPatient.prompt`).
    """
    from drivers import simulated

    patient, _inclinometer, _plate = simulated.start_demo_devices(default_registry())
    window.demo_patient = patient
    window.device_strip.refresh()
    log.info("demo: simulated inclinometer and force plate started")


def run_gui(ctx: AppContext) -> int:
    """Run DorsiLab until the main window closes; returns the process exit code.

    SIGTERM, Ctrl+C and the end of the desktop session stop it without a question, the
    visit kept and resumable (:mod:`clinic_app.ui.shutdown`); after a signal the exit
    code is ``128 + signal number`` (143 for SIGTERM).
    """
    app = create_application()
    guard = shutdown.ShutdownGuard(app)  # from here on a signal stops DorsiLab cleanly
    log.info("DorsiLab %s starting (demo=%s)", __version__, ctx.demo)
    try:
        db = open_database(ctx)
        if db is None:
            return guard.status or 1
        try:
            window = create_main_window(ctx, db)
            guard.attach(window)
            if ctx.demo:
                start_demo_devices(window)
            window.show()
            # The window does not wait for the daily backup; a server's are its own (pg_dump).
            backup = None if ctx.db_url else start_daily_backup(window, ctx.db_path)
            # A signal handled before the loop ran (in a start-up dialog) already stopped it.
            status = app.exec() if guard.status is None else guard.status
            if backup is not None:
                backup.wait(guard.backup_wait_s)
        finally:
            default_registry().close_all()
            db.close()
            crash.uninstall()
    finally:
        guard.uninstall()
    log.info("DorsiLab stopped with status %s", status)
    if guard.status is not None:
        # Everything is saved and closed. The interpreter's last garbage collections walk
        # every object of Qt, numpy, scipy and pandas: about a second, of the two a
        # log-out allows. Frozen objects are skipped; the memory goes back with the process.
        gc.freeze()
    return int(status)
