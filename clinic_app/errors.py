"""Errors that reach the person at the keyboard.

A :class:`UserError` is something the user can fix (a bad argument, an unknown id, an
unreadable file). The command line prints its message as one line on stderr and exits 2,
with no traceback; the GUI shows it in words. Its message must name what is wrong and
must never contain patient-identifying data, because it may be logged.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input, reported in one clear sentence."""
