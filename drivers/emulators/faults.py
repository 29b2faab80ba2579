"""Fault injection settings shared by the pty emulators (devices.md §4.5, §4.7)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Faults:
    """Fault injection settings; change them at any time, the emulator picks them up.

    Attributes
    ----------
    chunk_size : int
        Write output ``chunk_size`` bytes at a time (0 = everything due at once;
        1 = every byte boundary becomes a read boundary).
    chunk_gap_s : float
        Pause between chunks, so that they arrive as separate reads.
    garbage_every : int
        Insert ``garbage`` before every n-th frame (0 = never).
    garbage : bytes
        The garbage to insert (random bytes of ``garbage_len`` when empty).
    garbage_len : int
    bit_flip_every : int
        Flip one random bit in every n-th frame (0 = never).
    mute : bool
        Send nothing (the device is silent but plugged in).
    ignore_commands : bool
        Drop every byte the host sends.
    """

    chunk_size: int = 0
    chunk_gap_s: float = 0.0
    garbage_every: int = 0
    garbage: bytes = b""
    garbage_len: int = 7
    bit_flip_every: int = 0
    mute: bool = False
    ignore_commands: bool = False
