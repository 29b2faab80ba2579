"""The DorsiLab main window: toolbar, device strip, patient list, and the current page.

Adding a page (later helpers: assessment, results, plan editor, history, report preview)
-------------------------------------------------------------------------------------------
Write ``clinic_app/ui/<your_module>.py`` with a ``QWidget`` subclass whose constructor
takes the host window (``YourPage(host)``; see :mod:`clinic_app.ui.pages` for the
:class:`~clinic_app.ui.pages.PageHost` API and the optional ``show_patient`` /
``can_leave`` methods), then make sure one line in :data:`PAGES` names it::

    PageSpec("history", "History", "clinic_app.ui.history.page:HistoryPage", "Ctrl+H", True),

That line gives the page a toolbar button, a "Go" menu entry and its keyboard shortcut;
``host.show_page("history")`` opens it from code. The lines below are already there for
the planned pages: a page whose module does not exist yet answers "coming in a later
version". Keep the class and module names, or edit the line. ``PageSpec(toolbar=False)``
registers a page reachable only from code (e.g. results after an assessment).

Pages named in :data:`FULL_WIDTH_PAGES` fold the patient list away while they are on
screen (the patient's name and age move to the toolbar); any other page, or the
"Patient list" toolbar action (Ctrl+B), brings it back.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from clinic_app import paths
from clinic_app.commands import AppContext
from clinic_app.storage import Database
from clinic_app.ui import theme
from clinic_app.ui.devices import idle
from clinic_app.ui.devices.strip import DeviceStrip
from clinic_app.ui.page_stack import PageStack
from clinic_app.ui.pages import PageSpec
from clinic_app.ui.patients import actions as patient_actions
from clinic_app.ui.patients.page import PatientPage
from clinic_app.ui.patients.patient_list import PatientList
from clinic_app.ui.patients.recovery_bar import RecoveryBar
from clinic_app.ui.plain_text import plain
from clinic_app.ui.signin import window as signin_window

log = logging.getLogger(__name__)

PAGES: list[PageSpec] = [
    PageSpec("patient", "Patients", "clinic_app.ui.patients.page:PatientPage", "Ctrl+1",
             tip="The selected patient's record and visits"),
    PageSpec("assessment", "New assessment", "clinic_app.ui.assessment.page:AssessmentPage",
             "Ctrl+T", True, tip="Lunge test and balance trials for the selected patient"),
    PageSpec("results", "Results", "clinic_app.ui.assessment.results:ResultsPage",
             toolbar=False, needs_patient=True),
    PageSpec("plan", "Plan", "clinic_app.ui.plan_editor.page:PlanEditorPage", "Ctrl+L", True,
             toolbar=False, tip="Edit the progression plan"),
    PageSpec("history", "History", "clinic_app.ui.history.page:HistoryPage", "Ctrl+H", True,
             tip="Trends and re-test comparison"),
    PageSpec("report", "Report", "clinic_app.ui.plan_editor.report_preview:ReportPreviewPage",
             "Ctrl+R", True, tip="Clinician report and patient handout"),
    PageSpec("devices", "Devices", "clinic_app.ui.devices.panel:DevicesPanel", "Ctrl+D",
             tip="Connect, zero, tare and calibrate devices"),
]  # fmt: skip
"""Every page of the window, in toolbar order. One line per page."""

FULL_WIDTH_PAGES = frozenset({"assessment", "results", "plan"})
"""Pages shown without the patient list: the patient is chosen, and at 1366×768 the live
plots and the results table need the ≈ 380 px the list takes (clinicians read them from
two metres with both hands on the patient)."""

LIST_SHORTCUT = "Ctrl+B"
"""Show or hide the patient list (the usual "side bar" key of desktop editors)."""

SETTINGS_FILE = "window.ini"

FIRST_RUN_SIZE = (1600, 1000)
"""Window size on a first start (px), centred; a smaller screen starts maximised."""


def window_settings() -> QSettings:
    """Window geometry and splitter state, in an INI file in the user config folder."""
    return QSettings(str(paths.config_dir() / SETTINGS_FILE), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    """The window a clinician lives in (also the :class:`~clinic_app.ui.pages.PageHost`)."""

    patient_changed = Signal(object)
    patients_changed = Signal()
    session_changed = Signal(object)

    def __init__(self, ctx: AppContext, db: Database) -> None:
        super().__init__()
        self.ctx = ctx
        self.db = db
        self._current_patient_id: int | None = None
        self._current_session_id: int | None = None
        self.demo_patient: object | None = None  # the simulated patient in --demo
        self._pages: dict[str, QWidget] = {}
        self._page_actions: dict[str, QAction] = {}
        self._list_page: str | None = "patient"  # page whose default list state applies
        self._split_state = QByteArray()  # splitter sizes before the list was folded
        self.setObjectName("mainWindow")
        self.setWindowTitle("DorsiLab — DEMO (fictional patients)" if ctx.demo else "DorsiLab")

        self.patient_list = PatientList(db)
        self.patient_list.patient_selected.connect(self._on_patient_selected)
        self.patient_list.patient_activated.connect(lambda _id: self.show_page("patient"))
        self.patient_list.reveal_requested.connect(lambda: self.set_patient_list_visible(True))
        self.stack = PageStack()  # pages scroll rather than grow the window past the screen
        self.stack.setObjectName("pageStack")
        self.patient_page = PatientPage(self)
        self.patient_page.session_activated.connect(self.open_session)
        self._add_page("patient", self.patient_page)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.patient_list)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([380, 900])
        self.splitter.setChildrenCollapsible(False)

        self.device_strip = DeviceStrip()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        if ctx.demo:
            self.demo_banner = QLabel(
                "DEMO — fictional patients and simulated devices. Nothing here is a real record."
            )
            self.demo_banner.setObjectName("demoBanner")
            self.demo_banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(self.demo_banner)
        layout.addWidget(self.device_strip)
        self.recovery_bar = RecoveryBar(db)
        self.recovery_bar.open_patient.connect(self._open_unfinished)
        layout.addWidget(self.recovery_bar)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(theme.GAP, theme.GAP // 2, theme.GAP, theme.GAP)
        body_layout.addWidget(self.splitter)
        layout.addWidget(body, 1)
        self.setCentralWidget(central)

        self.actions_ = patient_actions.PatientActions(self)
        self._build_toolbar_and_menus()
        self.device_strip.open_devices.connect(lambda: self.show_page("devices"))
        self.signed_in = signin_window.SignedIn(self, db)  # chip, idle lock, others' changes
        idle.attach(self)  # pause idle devices (quiet when idle, issue 16 §3)
        idle.page_shown(self, "patient")
        self._restore_state()
        self.patient_list.refresh()

    # ------------------------------------------------------------ PageHost API
    @property
    def current_patient_id(self) -> int | None:
        """The patient selected in the list, or None."""
        return self._current_patient_id

    @property
    def config_dir(self) -> Path:
        """Per-user configuration folder."""
        return paths.config_dir()

    def notify(self, message: str, timeout_ms: int = 5000) -> None:
        """A short message in the status bar."""
        self.statusBar().showMessage(message, timeout_ms)

    def page(self, key: str) -> QWidget | None:
        """The page widget ``key`` if it has been built."""
        return self._pages.get(key)

    def show_page(self, key: str) -> bool:
        """Make page ``key`` current (building it on first use); see :data:`PAGES`."""
        spec = next((s for s in PAGES if s.key == key), None)
        if spec is None:
            raise KeyError(f"no page registered as {key!r}")
        try:
            return self._show_page(spec)
        finally:
            self._sync_page_actions()
            self._sync_patient_list()
            idle.page_shown(self, self.current_page_key())  # devices stream only where needed

    def _show_page(self, spec: PageSpec) -> bool:
        current = self.stack.currentWidget()
        can_leave = getattr(current, "can_leave", None)
        leaving = current is not None and self._pages.get(spec.key) is not current
        if leaving and callable(can_leave) and not can_leave():
            return False
        if spec.needs_patient and self._current_patient_id is None:
            QMessageBox.information(
                self, spec.title, f"Pick a patient in the list first, then choose {spec.title}."
            )
            return False
        widget = self._pages.get(spec.key)
        if widget is None:
            page_class = spec.load()
            if page_class is None:
                QMessageBox.information(
                    self,
                    spec.title,
                    f"{spec.title} is coming in a later version of DorsiLab.",
                )
                return False
            if issubclass(page_class, QDialog):
                dialog = page_class(self)
                dialog.exec()
                return True
            widget = page_class(self)
            self._add_page(spec.key, widget)
        self.stack.setCurrentWidget(widget)
        show_patient = getattr(widget, "show_patient", None)
        if callable(show_patient):
            show_patient(self._current_patient_id)
        log.info("page shown: %s", spec.key)
        return True

    def current_page_key(self) -> str | None:
        """Key of the page on screen."""
        current = self.stack.currentWidget()
        return next((k for k, w in self._pages.items() if w is current), None)

    def _sync_page_actions(self) -> None:
        """Exactly the page on screen is checked (a refused or dialog page is not)."""
        on_screen = self.current_page_key()
        for key, action in self._page_actions.items():
            action.setChecked(key == on_screen)

    def _sync_patient_list(self) -> None:
        """Fold the list on a full-width page, unfold it elsewhere (once per page change,
        so Ctrl+B on a page is kept until another page is shown)."""
        on_screen = self.current_page_key()
        if on_screen == self._list_page:
            return
        self._list_page = on_screen
        self.set_patient_list_visible(on_screen not in FULL_WIDTH_PAGES)

    def patient_list_visible(self) -> bool:
        """True unless the patient list is folded away."""
        return not self.patient_list.isHidden()

    def set_patient_list_visible(self, visible: bool) -> None:
        """Show or fold away the patient list; the toolbar names the patient when folded."""
        if visible != self.patient_list_visible():
            if not visible:
                self._split_state = self.splitter.saveState()
            self.patient_list.setVisible(visible)
            log.info("patient list %s", "shown" if visible else "folded")
        self.list_action.setChecked(visible)
        self._update_patient_chip()

    def _update_patient_chip(self) -> None:
        patient_id = self._current_patient_id
        text = ""
        if patient_id is not None and not self.patient_list_visible():
            patient = self.db.get_patient(patient_id)
            text = f"{patient.full_name} · age {patient.age_years()}"
        self.patient_chip.setText(text)
        self._chip_action.setVisible(bool(text))  # a toolbar widget is shown by its action

    @property
    def current_session_id(self) -> int | None:
        """The visit last opened from the patient page (None when none)."""
        return self._current_session_id

    def open_session(self, session_id: int) -> bool:
        """Open a visit's results (double-click in the visits list)."""
        self._current_session_id = session_id
        self.session_changed.emit(session_id)
        log.info("session opened: session_id=%s", session_id)
        return self.show_page("results")

    def select_patient(self, patient_id: int | None) -> None:
        """Select ``patient_id`` in the list (and so everywhere)."""
        self.patient_list.select_patient(patient_id)
        self._on_patient_selected(patient_id)

    # ------------------------------------------------------------ internals
    def _add_page(self, key: str, widget: QWidget) -> None:
        widget.setObjectName(widget.objectName() or f"page_{key}")
        self._pages[key] = widget
        self.stack.addWidget(widget)

    @Slot(int)
    def _open_unfinished(self, patient_id: int) -> None:
        self.patient_list.search.clear()
        self.patient_list.refresh()
        self.select_patient(patient_id)
        self.show_page("patient")

    @Slot(object)
    def _on_patient_selected(self, patient_id: int | None) -> None:
        if patient_id == self._current_patient_id:
            return
        self._current_patient_id = patient_id
        self._current_session_id = None
        log.info("patient selected: patient_id=%s", patient_id)
        current = self.stack.currentWidget()
        show_patient = getattr(current, "show_patient", None)
        if callable(show_patient):
            show_patient(patient_id)
        if current is not self.patient_page:
            self.patient_page.show_patient(patient_id)
        self._update_patient_chip()
        self.patient_changed.emit(patient_id)

    def _build_toolbar_and_menus(self) -> None:
        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.toggleViewAction().setEnabled(False)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        patient_menu = menu.addMenu("&Patient")
        go_menu = menu.addMenu("&Go")
        help_menu = menu.addMenu("&Help")

        acts = self.actions_
        toolbar.addAction(acts.new_patient)
        for spec in PAGES:
            action = QAction(spec.title, self)
            action.setObjectName(f"action_{spec.key}")
            action.setCheckable(True)
            if spec.shortcut:
                action.setShortcut(QKeySequence(spec.shortcut))
            action.setToolTip(_tip(spec.tip or spec.title, action))
            action.setStatusTip(spec.tip)
            action.triggered.connect(lambda _checked=False, key=spec.key: self.show_page(key))
            self._page_actions[spec.key] = action
            go_menu.addAction(action)
            if spec.toolbar:
                toolbar.addAction(action)
        self._page_actions["patient"].setChecked(True)
        toolbar.addAction(acts.settings)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        self.patient_chip = plain(QLabel(""))
        self.patient_chip.setObjectName("patientChip")
        self.patient_chip.setToolTip("The patient of this page (the list is folded: Ctrl+B)")
        theme.set_font(self.patient_chip, theme.BASE_PT, bold=True)
        self._chip_action = toolbar.addWidget(self.patient_chip)
        self._chip_action.setVisible(False)
        self.list_action = QAction("Patient list", self)
        self.list_action.setObjectName("action_patient_list")
        self.list_action.setCheckable(True)
        self.list_action.setChecked(True)
        self.list_action.setShortcut(QKeySequence(LIST_SHORTCUT))
        self.list_action.setToolTip(_tip("Show or hide the patient list", self.list_action))
        self.list_action.triggered.connect(self.set_patient_list_visible)
        toolbar.addAction(self.list_action)

        file_menu.addAction(acts.settings)
        file_menu.addSeparator()
        file_menu.addAction(acts.quit)
        for action in (acts.new_patient, acts.edit_patient, acts.find_patient):
            patient_menu.addAction(action)
        go_menu.addSeparator()
        go_menu.addAction(self.list_action)
        patient_menu.addSeparator()
        for action in (acts.delete_patient, acts.show_deleted, acts.restore_patient):
            patient_menu.addAction(action)
        help_menu.addAction(acts.about)
        help_menu.addAction(acts.open_logs)
        for action in (acts.new_patient, acts.settings):
            action.setToolTip(_tip(action.text().replace("&", "").rstrip("…"), action))
        self.addAction(acts.delete_patient)

    def _restore_state(self) -> None:
        settings = window_settings()
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self._first_run_geometry()
        splitter = settings.value("window/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)

    def _first_run_geometry(self) -> None:
        """Most of the screen, centred, on the first start (a laptop gets no overflow)."""
        screen = self.screen()
        if screen is None:
            self.resize(1280, 800)
            return
        area = screen.availableGeometry()
        if area.width() < FIRST_RUN_SIZE[0] or area.height() < FIRST_RUN_SIZE[1]:
            # A laptop: every pixel is needed beside the patient (1366×768 is common).
            self.setGeometry(area)
            self.setWindowState(Qt.WindowState.WindowMaximized)
            return
        width = min(1600, int(area.width() * 0.94))
        height = min(1000, int(area.height() * 0.92))
        self.resize(width, height)
        self.move(area.center().x() - width // 2, area.center().y() - height // 2)

    def save_state(self) -> None:
        """Remember geometry and splitter sizes for the next start."""
        settings = window_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        folded = not self.patient_list_visible() and not self._split_state.isEmpty()
        state = self._split_state if folded else self.splitter.saveState()
        settings.setValue("window/splitter", state)
        settings.sync()

    def keep_for_later(self, wait_s: float) -> bool:
        """DorsiLab is stopping without the clinician (a signal, the session ends).

        Every page with a ``keep_for_later(wait_s)`` method keeps its work, asking nothing
        (the assessment journals the trial in progress and leaves the visit resumable);
        the window's size and place are remembered. False if a page could not finish
        its writes within ``wait_s`` seconds.
        """
        kept = True
        for page in self._pages.values():
            keep = getattr(page, "keep_for_later", None)
            if callable(keep):
                kept = bool(keep(wait_s)) and kept
        self.save_state()
        return kept

    def stop_without_asking(self, wait_s: float) -> bool:
        """Keep the work (:meth:`keep_for_later`) and stop the window's timers; no question.

        For a signal: the event loop ends next, without closing the window through
        :meth:`closeEvent` (whose questions would keep the process alive).
        """
        kept = self.keep_for_later(wait_s)
        self._stop_timers()
        return kept

    def closeEvent(self, event: QCloseEvent) -> None:
        current = self.stack.currentWidget()
        can_leave = getattr(current, "can_leave", None)
        if callable(can_leave) and not can_leave():
            event.ignore()
            return
        self.save_state()
        self._stop_timers()
        super().closeEvent(event)

    def loaded_page(self, key: str) -> QWidget | None:
        """The page ``key`` if it was opened already (None: never built)."""
        return self._pages.get(key)

    def _stop_timers(self) -> None:
        """No more queries or device polling: the database may close next."""
        self.signed_in.stop()
        self.patient_list.stop()
        self.device_strip.stop()
        idle.detach(self)
        log.info("main window closed")


def _tip(text: str, action: QAction) -> str:
    """A tooltip that names the shortcut, so every key is discoverable."""
    keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    return f"{text} ({keys})" if keys else text
