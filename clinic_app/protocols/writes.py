"""The visit's journal writes as data: what a recording sends to the database, kept so
that it can also be written down on this computer (:mod:`clinic_app.protocols.spool`)
while a clinic server is out of reach.

Each write is called with the database (``write(db)``) like any journal write, and turns
into ``(kind, arguments as JSON, samples)`` and back without pickle: samples travel as
an ``.npz`` of plain or structured arrays, read with ``allow_pickle=False``.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from clinic_app.storage import Database

Samples = dict[str, npt.NDArray[Any]]


@dataclass(frozen=True)
class AppendChunk:
    """New samples of one device in a trial."""

    trial_id: int
    device: str
    samples: npt.NDArray[Any]
    chunk: int | None = None
    """The runner's number for it (0, 1, … per trial and device): sent twice, stored once."""

    def __call__(self, db: Database) -> Any:
        return db.append_recording_chunk(
            self.trial_id, self.device, self.samples, chunk=self.chunk
        )


@dataclass(frozen=True)
class FinishTrial:
    """A trial's outcome with its last samples (one transaction)."""

    trial_id: int
    status: str
    result: dict[str, Any] | None
    invalid_reason: str | None
    final: Samples = field(default_factory=dict)

    def __call__(self, db: Database) -> Any:
        return db.finish_trial(
            self.trial_id, self.status, self.result, self.invalid_reason, final_samples=self.final
        )


@dataclass(frozen=True)
class FinishSession:
    """The end of the visit (written only after every trial before it)."""

    session_id: int
    status: str

    def __call__(self, db: Database) -> Any:
        return db.finish_session(self.session_id, self.status)


Spoolable = AppendChunk | FinishTrial | FinishSession
_KINDS: dict[str, type] = {"chunk": AppendChunk, "trial": FinishTrial, "visit": FinishSession}


def encode(write: Spoolable) -> tuple[str, str, bytes | None]:
    """``(kind, JSON arguments, npz samples or None)`` of a write."""
    if isinstance(write, AppendChunk):
        args: dict[str, Any] = {
            "trial_id": write.trial_id, "device": write.device, "chunk": write.chunk
        }  # fmt: skip
        return "chunk", json.dumps(args), _npz({"samples": write.samples})
    if isinstance(write, FinishTrial):
        args = {"trial_id": write.trial_id, "status": write.status, "result": write.result,
                "invalid_reason": write.invalid_reason}  # fmt: skip
        return "trial", json.dumps(args), _npz(write.final) if write.final else None
    return "visit", json.dumps({"session_id": write.session_id, "status": write.status}), None


def decode(kind: str, args_json: str, arrays: bytes | None) -> Spoolable:
    """The write :func:`encode` described.

    Raises
    ------
    ValueError
        An unknown kind or unreadable arguments (a damaged spool row).
    """
    if kind not in _KINDS:
        raise ValueError(f"unknown journal write {kind!r}")
    args = json.loads(args_json)
    samples = _arrays(arrays) if arrays is not None else {}
    if kind == "chunk":
        chunk = None if args.get("chunk") is None else int(args["chunk"])
        return AppendChunk(int(args["trial_id"]), str(args["device"]), samples["samples"], chunk)
    if kind == "trial":
        return FinishTrial(
            int(args["trial_id"]), str(args["status"]), args["result"], args["invalid_reason"],
            samples,
        )  # fmt: skip
    return FinishSession(int(args["session_id"]), str(args["status"]))


def _npz(arrays: Samples) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    return buffer.getvalue()


def _arrays(data: bytes) -> Samples:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}
