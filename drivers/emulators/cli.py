"""Shared ``python -m drivers.emulators.<protocol>`` entry point (manual runs)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypedDict

from drivers.emulators.base import PtyEmulator


class PortOptions(TypedDict, total=False):
    """Where the emulator talks, from ``--link``/``--tty``/``--baud``: keywords of
    :class:`~drivers.emulators.base.PtyEmulator` (``device_baud`` only when given, so the
    emulator's own default applies otherwise)."""

    link: Path | None
    tty_path: str | None
    device_baud: int


EmulatorFactory = Callable[[float | None, PortOptions], PtyEmulator]
"""Builds the emulator from ``--rate`` (None when not given) and the port options."""


def run_emulator_main(
    argv: Sequence[str] | None,
    *,
    description: str,
    factory: EmulatorFactory,
) -> int:
    """Parse ``--link``/``--tty``/``--rate``/``--baud``, run until Ctrl+C or SIGTERM.

    ``--link PATH`` creates a new pty and a symlink at PATH for the host to open;
    ``--tty PATH`` drives an existing tty instead (the device end of a socat pair).
    """
    parser = argparse.ArgumentParser(description=description)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--link", metavar="PATH", help="symlink to the new pty (the host's port)")
    where.add_argument("--tty", metavar="PATH", help="drive this existing tty (socat pair end)")
    parser.add_argument("--rate", type=float, default=None, help="output rate in Hz")
    parser.add_argument("--baud", type=int, default=None, help="the device's baud rate")
    args = parser.parse_args(argv)
    port = PortOptions(link=Path(args.link) if args.link else None, tty_path=args.tty)
    if args.baud:
        port["device_baud"] = args.baud
    emulator = factory(args.rate, port)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with emulator:
        sys.stdout.write(f"{emulator.name} emulator on {emulator.port} (Ctrl+C to stop)\n")
        sys.stdout.flush()
        try:
            while not done.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0
