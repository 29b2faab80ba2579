"""Trial recordings: numpy sample arrays journaled in compressed chunks.

Each call of :meth:`RecordingStore.append_recording_chunk` commits one row of
``recordings``: the raw bytes of a structured array (``drivers.base.INCLINOMETER_DTYPE``
or ``PLATE_DTYPE``, native layout) compressed with zlib, its dtype as JSON
(``numpy.lib.format.dtype_to_descr``) and the sample count. :meth:`load_recording`
concatenates a device's chunks in order and returns exactly the samples appended.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.format import descr_to_dtype, dtype_to_descr

from clinic_app.storage import _deflate as deflate
from clinic_app.storage._base import StoreBase
from clinic_app.storage._util import utc_now
from clinic_app.storage.errors import StorageError
from drivers.base import INCLINOMETER_DTYPE, PLATE_DTYPE

log = logging.getLogger(__name__)

DEVICES: dict[str, np.dtype[Any]] = {"inclinometer": INCLINOMETER_DTYPE, "plate": PLATE_DTYPE}
"""Recording device names and the sample dtype each normally has."""

_ZLIB_LEVEL = 3  # near level 6's ratio on sensor data at a fraction of its CPU


def encode_samples(samples: npt.NDArray[Any]) -> tuple[str, int, bytes]:
    """``(dtype JSON, sample count, zlib bytes)`` of a 1-D array."""
    array = np.ascontiguousarray(samples)
    if array.ndim != 1:
        raise ValueError(f"samples must be a 1-D array, not {array.ndim}-D")
    if array.dtype.hasobject:
        raise ValueError("samples cannot hold Python objects")
    descr = json.dumps(dtype_to_descr(array.dtype))
    return descr, int(array.shape[0]), zlib.compress(array.tobytes(), _ZLIB_LEVEL)


def join_chunks(
    chunks: Sequence[tuple[int, int, bytes]], dtype: np.dtype[Any], trial_id: int, device: str
) -> npt.NDArray[Any]:
    """One array of ``dtype`` from a recording's ``(chunk number, samples, zlib bytes)``.

    The raw bytes are copied in order: ``np.concatenate`` would promote structured dtypes
    (e.g. to native byte order) and the copy would no longer be bit-exact.

    Raises
    ------
    StorageError
        If a chunk does not decompress to its declared size (damaged data).
    """
    out = np.empty(sum(n_samples for _, n_samples, _ in chunks), dtype=dtype)
    buffer = out.view(np.uint8)
    position = 0
    for chunk, n_samples, data in chunks:
        try:
            raw = deflate.decompress(data)
        except deflate.error:
            raw = b""  # fails the size check below and is reported as damage
        if len(raw) != n_samples * dtype.itemsize:
            raise StorageError(
                f"Recording chunk {chunk} of trial {trial_id} ({device}) is damaged."
            )
        buffer[position : position + len(raw)] = np.frombuffer(raw, dtype=np.uint8)
        position += len(raw)
    return out


def decode_dtype(descr_json: str) -> np.dtype[Any]:
    """The dtype stored as JSON by :func:`encode_samples`."""
    return descr_to_dtype(_tuples(json.loads(descr_json)))


def _tuples(descr: Any) -> Any:
    # JSON turned the (name, format[, shape]) tuples into lists; descr_to_dtype wants tuples.
    if isinstance(descr, list):
        return [
            tuple(_tuples(part) if i == 1 else (tuple(part) if isinstance(part, list) else part)
                  for i, part in enumerate(field))
            for field in descr
        ]  # fmt: skip
    return descr


class RecordingStore(StoreBase):
    """Recording methods of :class:`~clinic_app.storage.Database`."""

    def append_recording_chunk(
        self,
        trial_id: int,
        device: str,
        samples: npt.NDArray[Any],
        *,
        chunk: int | None = None,
    ) -> int | None:
        """Journal samples of a running trial and commit them (call at least once a second).

        Parameters
        ----------
        trial_id : int
            A trial begun with ``begin_trial`` and not yet finished.
        device : {"inclinometer", "plate"}
        samples : numpy structured array, 1-D
            New samples since the last call; every chunk of a device must have one dtype.
        chunk : int, optional
            The caller's number for this chunk (0, 1, … per trial and device): a chunk
            sent again (after a crash or a lost connection) is then stored only once.

        Returns
        -------
        int or None
            The chunk number (0, 1, …), or None if ``samples`` was empty (nothing written).
        """
        with self.transaction():
            return self._append_chunk(trial_id, device, samples, chunk)

    def load_recording(self, trial_id: int, device: str) -> npt.NDArray[Any]:
        """All journaled samples of one device in a trial, in order.

        An empty array of the device's usual dtype if nothing was recorded.

        Raises
        ------
        StorageError
            If a stored chunk does not decompress to its declared size (damaged data).
        """
        if device not in DEVICES:
            raise ValueError(f"device must be one of {tuple(DEVICES)}, not {device!r}")
        rows = self._rows(
            "SELECT chunk, dtype, n_samples, data FROM recordings "
            "WHERE trial_id = :trial AND device = :device ORDER BY chunk",
            {"trial": trial_id, "device": device},
        )
        if not rows:
            return np.empty(0, dtype=DEVICES[device])
        chunks = [(row["chunk"], int(row["n_samples"]), row["data"]) for row in rows]
        return join_chunks(chunks, decode_dtype(rows[0]["dtype"]), trial_id, device)

    def recording_devices(self, trial_id: int) -> list[str]:
        """Devices with samples recorded in this trial."""
        rows = self._rows(
            "SELECT DISTINCT device FROM recordings WHERE trial_id = :trial ORDER BY device",
            {"trial": trial_id},
        )
        return [row["device"] for row in rows]

    def recording_sample_count(self, trial_id: int, device: str) -> int:
        """How many samples of ``device`` are journaled for this trial."""
        row = self._row(
            "SELECT COALESCE(SUM(n_samples), 0) AS n FROM recordings "
            "WHERE trial_id = :trial AND device = :device",
            {"trial": trial_id, "device": device},
        )
        return int(row["n"]) if row else 0

    def _append_chunk(
        self, trial_id: int, device: str, samples: npt.NDArray[Any], number: int | None = None
    ) -> int | None:
        """Insert one chunk inside the caller's transaction.

        ``number``, when the caller numbers its chunks, makes the write idempotent: a chunk
        already stored under that number (a write sent again after a crash or a lost
        connection) is not stored twice.
        """
        if device not in DEVICES:
            raise ValueError(f"device must be one of {tuple(DEVICES)}, not {device!r}")
        descr, count, data = encode_samples(samples)
        trial = self._require_row("trials", trial_id, "trial")
        if count == 0:
            return None
        last = self._row(
            "SELECT chunk, dtype FROM recordings WHERE trial_id = :trial AND device = :device "
            "ORDER BY chunk DESC LIMIT 1",
            {"trial": trial_id, "device": device},
        )
        chunk = 0 if last is None else int(last["chunk"]) + 1
        if number is not None and number < chunk:
            log.info("trial %d: %s chunk %d is stored already", trial_id, device, number)
            return number
        if trial["ended_at"] is not None:
            raise StorageError(f"Trial {trial_id} is finished; its recording cannot grow.")
        if last is not None and last["dtype"] != descr:
            raise ValueError(f"samples for {device} changed dtype within trial {trial_id}")
        if number is not None and number != chunk:
            raise StorageError(
                f"Trial {trial_id}: {device} samples arrived out of order (part {number} "
                f"before part {chunk}); the recording is kept up to part {chunk - 1}."
            )
        self._insert(
            "recordings",
            {"trial_id": trial_id, "device": device, "chunk": chunk, "dtype": descr,
             "n_samples": count, "data": data, "created_at": utc_now()},
        )  # fmt: skip
        log.debug("trial %d: %s chunk %d (%d samples)", trial_id, device, chunk, count)
        return chunk
