"""Page registry of the main window: how a screen plugs into the centre of the window.

A page is a ``QWidget`` subclass living in its own module, named by a :class:`PageSpec`
in :data:`clinic_app.ui.main_window.PAGES`. The main window imports the module the first
time the page is opened, builds it with ``PageClass(host)`` and keeps it in its
``QStackedWidget``. A spec whose module does not exist yet gives a polite "coming in a
later version" message instead of an error.

The page contract (all optional except the constructor)::

    class AssessmentPage(QWidget):
        def __init__(self, host: PageHost) -> None: ...
        def show_patient(self, patient_id: int | None) -> None:
            '''Called when the page becomes current and when the patient changes.'''
        def can_leave(self) -> bool:
            '''False keeps the page (e.g. a trial is running); ask the user first.'''

If the class is a ``QDialog`` it is opened as a dialog (``exec()``) instead of a page.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtCore import SignalInstance

    from clinic_app.commands import AppContext


@dataclass(frozen=True)
class PageSpec:
    """One screen of the main window.

    Attributes
    ----------
    key : str
        Stable id used by :meth:`PageHost.show_page`, e.g. ``"assessment"``.
    title : str
        Toolbar and menu text.
    target : str
        ``"package.module:ClassName"`` of the page widget.
    shortcut : str
        Key sequence in Qt's portable text form (``"Ctrl+T"``); ``""`` for none.
    needs_patient : bool
        The page works on the selected patient; without one the user is asked to pick one.
    toolbar : bool
        Show a toolbar button (always in the "Go" menu).
    tip : str
        Tooltip in words.
    """

    key: str
    title: str
    target: str
    shortcut: str = ""
    needs_patient: bool = False
    toolbar: bool = True
    tip: str = ""

    @property
    def module_name(self) -> str:
        """The module part of :attr:`target`."""
        return self.target.partition(":")[0]

    def load(self) -> type[Any] | None:
        """The page class, or None when its module is not part of this version yet.

        Raises
        ------
        ImportError, AttributeError
            When the module exists but is broken: that is a bug to report, not to hide.
        """
        module_name, _, class_name = self.target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                return None
            raise
        page_class: type[Any] = getattr(module, class_name)
        return page_class


class PageHost(Protocol):
    """What the main window offers to its pages (``self.host`` in a page).

    Attributes
    ----------
    ctx : AppContext
        Global options: ``db_path``, ``demo``.
    db : clinic_app.storage.Database
        The open database. Pages never write SQL; they call its methods.
    patient_changed : Signal(object)
        Emitted with the new patient id (or None).
    patients_changed : Signal()
        Emitted after a patient was created, edited, deleted or restored.
    session_changed : Signal(object)
        Emitted with the visit id opened from the patient page (double-click a visit);
        :meth:`open_session` then shows the ``"results"`` page.
    """

    ctx: AppContext
    db: object
    patient_changed: SignalInstance
    patients_changed: SignalInstance
    session_changed: SignalInstance

    @property
    def current_patient_id(self) -> int | None:
        """The patient selected in the list, or None."""

    @property
    def current_session_id(self) -> int | None:
        """The visit last opened from the patient page, or None."""

    def open_session(self, session_id: int) -> bool:
        """Make ``session_id`` the current visit and show the results page."""

    @property
    def config_dir(self) -> Path:
        """Per-user configuration folder."""

    def show_page(self, key: str) -> bool:
        """Make page ``key`` current; False when it is unavailable or the user declined."""

    def notify(self, message: str, timeout_ms: int = 5000) -> None:
        """A short message in the status bar."""
