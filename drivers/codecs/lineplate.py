"""Codec for the DorsiLab line protocol of 4-load-cell force plates (drivers/PROTOCOL.md).

Pure: bytes in, raw per-cell samples and messages out, no I/O. The device layer applies
tare, calibration and the centre-of-pressure formula; this codec only frames and checks.

Framing (the reference rule, byte by byte)
    Bytes are ignored until ``$``. A line runs from ``$`` to the first CR or LF, so CRLF,
    LF and CR-only endings all work (the empty line between CR and LF is ignored). A
    second ``$`` before the terminator abandons the partial line and starts a new one
    (resync at the next ``$``); so does a line growing past :data:`MAX_LINE` bytes (it is
    dropped, and bytes up to the next ``$`` with it). A complete line must be printable
    ASCII (0x20-0x7E) - a non-ASCII or control byte rejects it - and end in ``*hh``, the
    XOR of the characters between ``$`` and ``*`` in two hex digits (either case); a line
    without it is rejected. Rejections count as ``malformed`` (structure) or
    ``checksum_failures`` (XOR mismatch). The buffer never holds more than one partial
    line (≤ :data:`MAX_LINE` bytes).
``$FP`` sample lines
    ``FP,<seq>,<t_us>,<TR>,<BR>,<TL>,<BL>``: seq and t_us are unsigned decimals of at most
    10 digits below 2³², the cells signed decimals of at most 10 digits (else
    ``malformed``). Then plausibility (:mod:`.lineplate_checks`): cells within the plate's
    range (±2²⁴ - an HX711 delivers 24 bits - and its rated capacity when the device set
    :attr:`LinePlateCodec.limits`), and ``seq``, ``t_us`` and the cells continuing the last
    accepted line; rejected lines count as ``implausible``, lines withheld while the check
    locks on as ``unconfirmed``. Output: :data:`LINE_SAMPLE_DTYPE`. Sequence gaps (lost
    samples, modulo 2³²) of accepted lines are counted in ``seq_gaps``; a step backwards
    (the board restarted) in ``seq_resets``; a jump beyond ``limits.max_gap`` after the
    check re-acquired (a restart, a resumed stream) in ``seq_resyncs``, never as lost.
Other lines
    ``$INFO``, ``$ERR``, ``$OK`` and unknown types come back as :class:`LineMessage`.

Speed: reads of clean lines in the steady state take the small-batch path
(:mod:`.lineplate_fast`: compiled C where a compiler was found at install, up to 16 KiB a
read; else plain Python, up to :data:`~.lineplate_fast.MAX_LINES` lines; same decisions);
otherwise lines are found with one compiled regular expression, and the checks, the XOR
(``np.bitwise_xor.reduceat``) and the number parsing run on numpy arrays over all lines of
a call at once; a batch with an odd line falls back to a per-line check for that batch.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from drivers.codecs import lineplate_fast as fast
from drivers.codecs import lineplate_wire as wire
from drivers.codecs.lineplate_checks import LOCK_COUNT, RELOCK_AFTER, PlateLimits
from drivers.codecs.lineplate_wire import *  # noqa: F403  (re-export the wire API)
from drivers.codecs.lineplate_wire import MAX_LINE, PlateInfo
from drivers.codecs.plausibility import ContinuityTrack

LINE_SAMPLE_DTYPE: Final = np.dtype(
    [
        ("t_host_s", "f8"),
        ("seq", "i8"),
        ("t_us", "i8"),
        ("tr", "i8"),
        ("br", "i8"),
        ("tl", "i8"),
        ("bl", "i8"),
    ]
)
"""One raw plate sample: host time (s), device seq and t_us, and the four cells (raw)."""

_LINE_RE: Final = re.compile(rb"\$([^$\r\n]*)(?=[\r\n])")
_HEX = np.full(256, -1, dtype=np.int16)
for _i, _c in enumerate(b"0123456789ABCDEF"):
    _HEX[_c] = _i
for _i, _c in enumerate(b"abcdef"):
    _HEX[_c] = 10 + _i
_STRUCTURED = rb"[\x20-\x29\x2B-\x7E]*\*[0-9A-Fa-f]{2}"
_STRUCTURED_RE: Final = re.compile(_STRUCTURED)
_ALL_STRUCTURED_RE: Final = re.compile(rb"(?:" + _STRUCTURED + rb"\n)*")
_FP_FIELDS = rb"\d{1,10},\d{1,10}(?:,-?\d{1,10}){4}"
_FP_FIELDS_RE: Final = re.compile(_FP_FIELDS)
"""The fields of an FP line: two unsigned and four signed decimals of ≤ 10 digits."""
_ALL_FP_LINES_RE: Final = re.compile(rb"(?:FP," + _FP_FIELDS + rb"\*[0-9A-Fa-f]{2}\n)+")
_CLEAN_FP_RE: Final = re.compile(rb"(?:\$FP," + _FP_FIELDS + rb"\*[0-9A-Fa-f]{2}\n)+")
_CLEAN_CRLF_RE: Final = re.compile(rb"(?:\$FP," + _FP_FIELDS + rb"\*[0-9A-Fa-f]{2}\r?\n)+")
"""Nothing but well-formed FP lines, ended by CR LF or LF (the small-batch path)."""
_NUMBERS_ONLY: Final = bytes.maketrans(b"*\nABCDEFabcdef", b",," + b"1" * 12)
_ALL_FP_FIELDS_RE: Final = re.compile(_FP_FIELDS + rb"(?:;" + _FP_FIELDS + rb")*")

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class LineMessage:
    """A checked non-sample line.

    Attributes
    ----------
    kind : str
        First field: ``"INFO"``, ``"ERR"``, ``"OK"`` or another type.
    fields : tuple of str
        The remaining fields.
    after_samples : int
        Number of samples of the same batch that came before this line.
    """

    kind: str
    fields: tuple[str, ...]
    after_samples: int = 0

    def info(self) -> PlateInfo | None:
        """The parsed ``$INFO`` reply (None for other kinds or malformed INFO)."""
        if self.kind != "INFO":
            return None
        try:
            return PlateInfo.from_fields(self.fields)
        except ValueError:
            return None


def _empty_samples() -> npt.NDArray[np.void]:
    return np.zeros(0, dtype=LINE_SAMPLE_DTYPE)


@dataclass(frozen=True, slots=True)
class LineBatch:
    """What one :meth:`LinePlateCodec.feed` call produced."""

    samples: npt.NDArray[np.void] = field(default_factory=_empty_samples)
    messages: list[LineMessage] = field(default_factory=list)


@dataclass(frozen=True)
class _Checked:
    ok: BoolArray
    arr: npt.NDArray[np.uint8]
    starts: IntArray
    accepted_bytes: int
    fp_values: IntArray | None = None
    """When every line was a well-formed FP line: their numbers, ``(n, 7)``."""


class LinePlateCodec:
    """Stateful decoder of a DorsiLab line-protocol byte stream (module docstring).

    Attributes
    ----------
    lines : int
        Lines that passed the structure and checksum checks.
    dropped_bytes : int
        Bytes outside accepted lines (CR and LF excepted).
    checksum_failures, malformed, implausible : int
        Rejected lines by reason.
    unconfirmed : int
        Plausible lines withheld while the continuity check locked on.
    seq_gaps, seq_resets, seq_resyncs : int
        Samples missing according to ``seq``; backward jumps of ``seq``; jumps too large
        to be losses (module docstring).

    Parameters
    ----------
    limits : PlateLimits, optional
        The plate's physical limits (see :mod:`.lineplate_checks`); the device sets them
        from its ``$INFO`` and calibration. The default checks the 24-bit range and
        ``seq``/``t_us`` continuity only.
    check_plausibility : bool
        False turns the continuity check off (framing tests, diagnostics); the range check
        stays.
    """

    def __init__(
        self, limits: PlateLimits | None = None, *, check_plausibility: bool = True
    ) -> None:
        self._residual = b""
        self._last_seq: int | None = None
        self._fast_constants: tuple[Any, ...] | None = None
        """The limits as :data:`.lineplate_fast.feed` compares them (None: to be computed)."""
        self._fast_last: list[Any] | bytes | None = None
        """The track's last row while the small-batch path keeps it (:func:`~.fast.sync`): six
        numbers, as a list (Python version) or packed int64 (compiled version)."""
        self._block = bytearray()
        self._block_rows: npt.NDArray[np.void] = _empty_samples()
        self._block_next = fast.BLOCK_ROWS
        """Where the small-batch path writes its samples (:func:`.lineplate_fast.new_block`)."""
        self.limits = limits or PlateLimits()
        self.check_plausibility = check_plausibility
        self.small_batch = True
        self._track = ContinuityTrack(self._step_ok, LOCK_COUNT, RELOCK_AFTER)
        self.lines = self.dropped_bytes = self.checksum_failures = 0
        self.malformed = self.implausible = self.seq_gaps = self.seq_resets = 0
        self.unconfirmed = self.seq_resyncs = 0

    # The small-batch path's cached constants follow these settings.
    @property
    def limits(self) -> PlateLimits:
        """The plate's physical limits (class docstring)."""
        return self._limits

    @limits.setter
    def limits(self, value: PlateLimits) -> None:
        self._limits = value
        self._fast_constants = None

    @property
    def check_plausibility(self) -> bool:
        """False turns the continuity check off (class docstring)."""
        return self._check_plausibility

    @check_plausibility.setter
    def check_plausibility(self, value: bool) -> None:
        self._check_plausibility = value
        self._fast_constants = None

    @property
    def small_batch(self) -> bool:
        """Decode small reads in plain Python (:mod:`.lineplate_fast`); False forces numpy."""
        return self._small_batch

    @small_batch.setter
    def small_batch(self, value: bool) -> None:
        self._small_batch = value
        self._fast_constants = None

    def _step_ok(self, previous: npt.NDArray[np.float64], rows: npt.NDArray[np.float64]) -> Any:
        return self.limits.step_ok(previous, rows)

    @property
    def buffered(self) -> int:
        """Bytes of the partial line kept for the next call (≤ MAX_LINE)."""
        return len(self._residual)

    def reset(self) -> None:
        """Drop the partial line and the sequence history (counters are kept)."""
        self.dropped_bytes += len(self._residual)
        self._residual = b""
        self._last_seq = None
        self._fast_last = None
        self._track.reset()

    def feed(self, data: bytes, t_host_s: float = math.nan) -> LineBatch:
        """Decode the bytes read from the transport (any amount, never raises)."""
        # One call decides small steady-state reads (both versions check their size limit
        # and whether the path is on); every Python step here costs at one line per read.
        quick = fast.feed(self, data, self._fast_constants or fast.constants(self), t_host_s)
        if quick is not None:
            return quick  # type: ignore[no-any-return]
        fast.sync(self)
        buf = self._residual + bytes(data)
        cut = max(buf.rfind(b"\n"), buf.rfind(b"\r")) + 1
        self._keep_tail(buf[cut:])
        if cut == 0:
            return LineBatch()
        complete = buf[:cut]
        clean = self._clean_batch(complete, t_host_s)
        if clean is not None:
            return clean
        bodies: list[bytes] = _LINE_RE.findall(complete)
        self.malformed += complete.count(b"$") - len(bodies)
        checked = self._check(bodies)
        terminators = complete.count(b"\r") + complete.count(b"\n")
        self.dropped_bytes += len(complete) - terminators - checked.accepted_bytes
        return self._decode(bodies, checked, t_host_s)

    def _clean_batch(self, complete: bytes, t_host_s: float) -> LineBatch | None:
        """The usual case in one pass: nothing but well-formed FP lines with good checksums
        and plausible values, which the general path would accept whole. None otherwise."""
        # One terminator per line; a leading LF is the end of a CRLF split by the last read.
        text = complete.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        text = text[1:] if text[:1] == b"\n" else text
        if not _CLEAN_FP_RE.fullmatch(text):
            return None
        arr = np.frombuffer(text, dtype=np.uint8)
        dollars = np.flatnonzero(arr == 0x24)
        stars = np.flatnonzero(arr == 0x2A)
        bounds = np.empty(2 * len(dollars), dtype=np.intp)
        bounds[0::2] = dollars + 1
        bounds[1::2] = stars
        body_xor = np.bitwise_xor.reduceat(arr, bounds)[0::2]
        if not bool((body_xor == (_HEX[arr[stars + 1]] << 4) + _HEX[arr[stars + 2]]).all()):
            return None
        numbers = text.replace(b"$FP,", b"").translate(_NUMBERS_ONLY)
        values = np.fromstring(numbers[:-1].decode("ascii"), dtype=np.int64, sep=",")
        values = values.reshape(len(dollars), 7)[:, :6]
        if int(values[:, :2].max()) >= wire.SEQ_MODULUS:
            return None
        self.lines += len(values)
        return LineBatch(self._samples(self._plausible(values), t_host_s), [])

    def _plausible(self, values: IntArray) -> IntArray:
        """The lines of ``values`` (n, 6) that pass the range and continuity checks."""
        if len(values) == 0:
            return values
        accepted = self._track_accept_mask(values)
        if accepted is None:
            return values
        kept: IntArray = values[accepted]
        return kept

    def _samples(self, values: IntArray, t_host_s: float) -> npt.NDArray[np.void]:
        samples = np.empty(len(values), dtype=LINE_SAMPLE_DTYPE)
        # Fields after t_host_s are six int64 in the order of the line: one block copy.
        samples.view(np.int64).reshape(-1, 7)[:, 1:] = values
        samples["t_host_s"] = t_host_s
        self._count_seq(values[:, 0])
        return samples

    # ------------------------------------------------------------ framing and checks
    def _keep_tail(self, tail: bytes) -> None:
        last = tail.rfind(b"$")
        if last < 0:
            self.dropped_bytes += len(tail)
            self._residual = b""
            return
        self.malformed += tail.count(b"$", 0, last)
        self.dropped_bytes += last
        rest = tail[last:]
        if len(rest) > MAX_LINE:
            self.malformed += 1
            self.dropped_bytes += len(rest)
            rest = b""
        self._residual = rest

    def _check(self, bodies: list[bytes]) -> _Checked:
        """Which line bodies pass the structure and checksum checks."""
        count = len(bodies)
        lens = np.fromiter(map(len, bodies), dtype=np.int64, count=count)
        text = b"\n".join(bodies) + b"\n"
        fp_values = None
        if _ALL_FP_LINES_RE.fullmatch(text):
            # Only well-formed FP lines (the usual case): parse every number in one call;
            # the checksum digits become a 7th, ignored column.
            numbers = text[:-1].replace(b"FP,", b"").translate(_NUMBERS_ONLY).decode("ascii")
            fp_values = np.fromstring(numbers, dtype=np.int64, sep=",").reshape(count, 7)
            structure = np.ones(count, dtype=np.bool_)
        elif _ALL_STRUCTURED_RE.fullmatch(text) and int(lens.max()) + 1 <= MAX_LINE:
            structure = np.ones(count, dtype=np.bool_)
        else:
            structure = np.fromiter(
                (
                    len(body) + 1 <= MAX_LINE and _STRUCTURED_RE.fullmatch(body) is not None
                    for body in bodies
                ),
                dtype=np.bool_,
                count=count,
            )
        # Zero padding keeps look-ups just past a short last line in bounds (XOR-neutral).
        arr = np.frombuffer(text + b"\0\0\0", dtype=np.uint8)
        starts = np.zeros(count, dtype=np.int64)
        np.cumsum(lens[:-1] + 1, out=starts[1:])
        ends = starts + lens
        h1, h2 = arr[np.maximum(ends - 2, 0)], arr[np.maximum(ends - 1, 0)]
        # XOR over body + "*hh\n", then the last four bytes are XORed back out.
        body_xor = np.bitwise_xor.reduceat(arr, starts) ^ (0x0A ^ 0x2A) ^ h1 ^ h2
        checksum = structure & (body_xor == (_HEX[h1] << 4) + _HEX[h2])
        self.malformed += int(np.count_nonzero(~structure))
        self.checksum_failures += int(np.count_nonzero(structure & ~checksum))
        self.lines += int(np.count_nonzero(checksum))
        accepted_bytes = int((lens[checksum] + 1).sum())
        return _Checked(checksum, arr, starts, accepted_bytes, fp_values)

    # ------------------------------------------------------------ decoding
    def _decode(self, bodies: list[bytes], checked: _Checked, t_host_s: float) -> LineBatch:
        ok, arr, starts = checked.ok, checked.arr, checked.starts
        if not ok.any():
            return LineBatch()
        if checked.fp_values is not None:
            is_fp = ok
            fp_index = np.flatnonzero(ok)
            values = checked.fp_values[ok, :6]
            fp_ok = self._in_range(values)
        else:
            is_fp = ok & (arr[starts] == 0x46) & (arr[starts + 1] == 0x50)
            is_fp &= arr[starts + 2] == 0x2C
            fp_index = np.flatnonzero(is_fp)
            values, fp_ok = self._parse_fp([bodies[i][3:-3] for i in fp_index.tolist()])
        if not fp_ok.all():
            values = values[fp_ok]
            fp_index = fp_index[fp_ok]
            self.malformed += int(np.count_nonzero(~fp_ok))
            self.lines -= int(np.count_nonzero(~fp_ok))
        if len(values):
            accepted = self._track_accept_mask(values)
            if accepted is not None:
                values, fp_index = values[accepted], fp_index[accepted]
        messages = [
            self._message(bodies[i], int(np.searchsorted(fp_index, i)))
            for i in np.flatnonzero(ok & ~is_fp).tolist()
        ]
        return LineBatch(self._samples(values, t_host_s), messages)

    def _track_accept_mask(self, values: IntArray) -> BoolArray | None:
        """Which lines pass plausibility (None: all)."""
        rows = values.astype(np.float64)
        in_range = self.limits.in_range(rows[:, 2:])
        if not self.check_plausibility:
            if in_range is not None:
                self.implausible += int(np.count_nonzero(~in_range))
            return in_range
        result = self._track.filter(rows, in_range)
        if not (result.rejected or result.withheld):
            return None
        self.implausible += result.rejected
        self.unconfirmed += result.withheld
        return result.accepted

    @staticmethod
    def _parse_fp(fields: list[bytes]) -> tuple[IntArray, BoolArray]:
        """Numbers ``(m, 6)`` of FP lines (text between ``FP,`` and ``*``) and whether each
        line matches :data:`_FP_FIELDS_RE` with values in range.

        One regular-expression match validates every line of the batch at once; only a
        batch containing a malformed line is checked line by line.
        """
        m = len(fields)
        # ';' cannot occur inside the fields, so the joined match is exactly per line.
        joined = b";".join(fields)
        if m and _ALL_FP_FIELDS_RE.fullmatch(joined):
            numbers = joined.replace(b";", b",").decode("ascii")
            values = np.fromstring(numbers, dtype=np.int64, sep=",").reshape(m, 6)
            return values, LinePlateCodec._in_range(values)
        values = np.zeros((m, 6), dtype=np.int64)
        ok = np.zeros(m, dtype=np.bool_)
        for row, field_text in enumerate(fields):
            if _FP_FIELDS_RE.fullmatch(field_text):
                values[row] = [int(v) for v in field_text.split(b",")]
                ok[row] = True
        return values, ok & LinePlateCodec._in_range(values)

    @staticmethod
    def _in_range(values: IntArray) -> BoolArray:
        """seq and t_us below 2³² (cells are range-checked as plausibility)."""
        if len(values) == 0 or int(values[:, :2].max()) < wire.SEQ_MODULUS:
            return np.ones(len(values), dtype=np.bool_)
        ok: BoolArray = np.all(values[:, :2] < wire.SEQ_MODULUS, axis=1)
        return ok

    @staticmethod
    def _message(body: bytes, after: int) -> LineMessage:
        kind, *fields = body[:-3].decode("ascii").split(",")
        return LineMessage(kind, tuple(fields), after)

    def _count_seq(self, seq: IntArray) -> None:
        if len(seq) == 0:
            return
        first, last = int(seq[0]), int(seq[-1])
        if (
            self._last_seq is not None
            and (first - self._last_seq) % wire.SEQ_MODULUS == 1
            and last - first == len(seq) - 1
            and (len(seq) < 3 or bool((np.diff(seq) == 1).all()))
        ):
            self._last_seq = last  # the usual case: no gap, no wrap in this batch
            return
        if self._last_seq is None:
            previous, current = seq[:-1], seq[1:]
        else:
            previous, current = np.concatenate(([self._last_seq], seq[:-1])), seq
        step = (current - previous) % wire.SEQ_MODULUS
        forward = (step >= 1) & (step < wire.SEQ_MODULUS // 2)
        resync = forward & (step > self.limits.max_gap)
        self.seq_gaps += int((step[forward & ~resync] - 1).sum())
        self.seq_resyncs += int(np.count_nonzero(resync))
        self.seq_resets += int(np.count_nonzero(~forward))
        self._last_seq = int(seq[-1])


_EMPTY = _empty_samples()
_EMPTY.flags.writeable = False
fast.bind(LineBatch=LineBatch, dtype=LINE_SAMPLE_DTYPE, clean=_CLEAN_CRLF_RE.fullmatch,
          empty=_EMPTY)  # fmt: skip
