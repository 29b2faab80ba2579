"""Names are text, never markup: labels, tooltips and message boxes that show what a user typed.

Qt guesses whether a label's, tooltip's or message box's text is HTML. A patient named
``<font size=40>X</font>`` then showed a giant X, ``<img src="/etc/passwd"/>`` made Qt
load a file, and ``A & B < C`` lost "< C". Every widget that shows a name, a record
number, an examiner or a note goes through one of these helpers.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget


def plain(label: QLabel) -> QLabel:
    """Make ``label`` show its text exactly as written (returns it, for chaining)."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def tooltip(text: str) -> str:
    """A tooltip that shows ``text`` exactly as written (tooltips have no text format)."""
    return f"<p>{html.escape(text)}</p>" if text else ""


def message_box(
    parent: QWidget | None,
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok,
) -> QMessageBox:
    """A message box whose text and informative text are plain text."""
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box


def ask(
    parent: QWidget | None,
    title: str,
    text: str,
    buttons: QMessageBox.StandardButton,
    default: QMessageBox.StandardButton = QMessageBox.StandardButton.NoButton,
) -> QMessageBox.StandardButton:
    """:meth:`QMessageBox.question` with plain text; returns the button pressed."""
    box = message_box(parent, QMessageBox.Icon.Question, title, text, buttons)
    if default != QMessageBox.StandardButton.NoButton:
        box.setDefaultButton(default)
    return QMessageBox.StandardButton(box.exec())


def offer_reload(parent: QWidget | None, words: str, name: str) -> bool:
    """Another workstation saved first: show who and when (``words``); True for Reload.

    Cancel keeps the user's own edits on screen (so they can note them); Reload is the
    default, since their version is the one now stored.
    """
    box = message_box(
        parent,
        QMessageBox.Icon.Warning,
        "Changed on another workstation",
        words,
        QMessageBox.StandardButton.Cancel,
    )
    box.setObjectName(name)
    box.setInformativeText(
        "Reload shows their version (your edits here are discarded); Cancel keeps your "
        "edits on screen so you can note them first."
    )
    reload = box.addButton("Reload", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(reload)
    box.exec()
    return box.clickedButton() is reload
