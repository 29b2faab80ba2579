"""Device emulators speaking each protocol on the master side of a real pseudo-terminal.

Use them from tests (``with WitEmulator(link=tmp / "ttyWIT", rate_hz=200) as emu:`` and
open ``emu.port``) or as processes for manual runs (``python -m
drivers.emulators.lineplate --link /tmp/ttyV0``). See :mod:`drivers.emulators.base` for
fault injection, unplug/replug and the write-time log.
"""
