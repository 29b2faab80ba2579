"""Bench figures of the 'codecs' group: decoding throughput of the three serial codecs.

Small reads (issue 18 §3): a reader thread gets a few frames per ``read()``, so the two
streaming codecs are also fed 1, 5 and 10 frames (WitMotion) or lines (line plate) per
call, next to a naive pure-Python parser measured in the same run
(:mod:`clinic_app.bench.naive`): ``…_vs_naive_<n>`` is the codec's throughput divided by the
naive parser's (above 1: the codec is faster). ``…_numpy_only`` is the codec with its
small-batch path switched off, i.e. every call on the vectorised path as before.

The line plate's small-batch path is compiled C where a compiler was found at install
(``drivers/codecs/_lineplate_c.c``), plain Python otherwise:
``lineplate_small_batch_c`` is 1.0 when the figures above were measured with the C version,
0.0 with the Python one. With C, ``lineplate_codec_<n>line_lines_per_s_python`` is the same
run with the Python version forced, for comparison.

Each codec is fed a realistic stream in 4 KiB reads (what a busy reader thread gets from
``serial.read(4096)``), with the plausibility checks on. The figure is the number of
frames (lines) decoded per second of CPU time of the decoding thread
(:func:`time.thread_time`), median of three runs, so that other processes sharing the
machine do not distort it; the same figure per second of wall time is reported too
(``…_wall_per_s``), and is lower whenever the machine is busy:

- ``wit_codec_frames_per_s``: WitMotion 0x51/0x52/0x53/0x54 cycles of a lunge (tibia
  ramping 5→45→5° with sway, 25 °C), 1 M frames (200 k with ``quick``), one flipped byte
  every ~64 KiB so that resynchronisation is part of the cost (target ≥ 1,000,000);
- ``rion_codec_frames_per_s``: Rion three-angle replies (14 bytes, auto-output mode),
  1 M frames (200 k), same corruption rate (target ≥ 1,000,000);
- ``lineplate_codec_lines_per_s``: ``$FP`` lines of a 70 kg standing load with sway,
  1 M lines (200 k), same corruption rate (target ≥ 300,000).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

import numpy as np

from clinic_app.bench.naive import NaiveLineParser, NaiveWitParser
from drivers.calibration import STANDARD_GRAVITY
from drivers.codecs import lineplate, rion, witmotion
from drivers.codecs import lineplate_fast as plate_fast
from drivers.codecs.lineplate_checks import PlateLimits
from drivers.codecs.tilt import euler_from_gravity, up_for_tilt

CHUNK_BYTES = 4096
RUNS = 3


class _Codec(Protocol):
    def feed(self, data: bytes, t_host_s: float = ...) -> object: ...


CodecT = TypeVar("CodecT", bound=_Codec)


def _corrupt(stream: bytes, seed: int, every: int = 65536) -> bytes:
    """Flip one bit roughly every ``every`` bytes (a noisy but working USB-UART link)."""
    rng = np.random.default_rng(seed)
    data = np.frombuffer(stream, dtype=np.uint8).copy()
    where = rng.integers(0, len(data), max(1, len(data) // every))
    data[where] ^= (1 << rng.integers(0, 8, len(where))).astype(np.uint8)
    return data.tobytes()


def _tibia_profile(count: int) -> np.ndarray:
    t = np.linspace(0.0, 2 * np.pi, count)
    return 25.0 - 20.0 * np.cos(t) + 0.5 * np.sin(37 * t)


def wit_stream(frames: int) -> bytes:
    """WitMotion stream of ``frames`` frames (acc, gyro, angle, mag cycles)."""
    cycles = frames // 4
    up = up_for_tilt(_tibia_profile(cycles), "x", "z")
    roll_pitch = euler_from_gravity(up)
    angles = np.column_stack((roll_pitch, np.full(cycles, 12.0)))
    gyro = np.zeros((cycles, 3))
    parts = [
        witmotion.encode_acc(up, 25.0),
        witmotion.encode_gyro(gyro, 25.0),
        witmotion.encode_angle(angles, 0x3F07),
        witmotion.encode_mag(np.full((cycles, 3), 250.0), 25.0),
    ]
    rows = [np.frombuffer(p, dtype=np.uint8).reshape(cycles, 11) for p in parts]
    return _corrupt(np.stack(rows, axis=1).tobytes(), seed=1)


def rion_stream(frames: int) -> bytes:
    """Rion auto-output stream: pitch, roll and heading replies."""
    tibia = _tibia_profile(frames)
    angles = np.column_stack((90.0 - tibia, 0.3 * np.sin(tibia), np.full(frames, 159.2)))
    return _corrupt(rion.encode_angle_replies(angles), seed=2)


def lineplate_stream(lines: int) -> bytes:
    """``$FP`` lines at 1 kHz: 70 kg over four cells (~100 counts/g scale), swaying."""
    t = np.arange(lines) / 1000.0
    x = 0.1 * np.sin(2 * np.pi * 0.3 * t)
    y = 0.15 * np.cos(2 * np.pi * 0.3 * t)
    total = 70_000.0 * 100.0
    share = np.column_stack(((1 + x) * (1 + y), (1 + x) * (1 - y), (1 - x) * (1 + y)))
    share = np.column_stack((share, (1 - x) * (1 - y))) / 4.0
    noise = np.random.default_rng(3).normal(0.0, 40.0, (lines, 4))
    counts = np.rint(total * share / 100.0 + noise).astype(np.int64)
    return _corrupt(lineplate.encode_fp_lines(np.arange(lines), t * 1e6, counts), seed=3)


def _rates(
    make_codec: Callable[[], CodecT],
    stream: bytes,
    count: Callable[[CodecT], int],
    chunk: int = CHUNK_BYTES,
) -> tuple[float, float]:
    """Median decoded items per CPU second and per wall second, ``chunk`` bytes per read."""
    cpu_rates, wall_rates = [], []
    pieces = [stream[i : i + chunk] for i in range(0, len(stream), chunk)]
    for _ in range(RUNS):
        codec = make_codec()
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        for piece in pieces:
            codec.feed(piece, 0.0)
        cpu = time.thread_time() - cpu0
        wall = time.perf_counter() - wall0
        cpu_rates.append(count(codec) / max(cpu, 1e-9))
        wall_rates.append(count(codec) / wall)
    return float(statistics.median(cpu_rates)), float(statistics.median(wall_rates))


class _Naive:
    """A naive parser behind the codecs' ``feed(data, t)`` signature, counting items."""

    def __init__(self, parser: NaiveWitParser | NaiveLineParser) -> None:
        self.parser = parser

    @property
    def items(self) -> int:
        """Frames or lines decoded so far."""
        parser = self.parser
        return parser.frames if isinstance(parser, NaiveWitParser) else parser.lines

    def feed(self, data: bytes, t_host_s: float = 0.0) -> object:
        return self.parser.feed(data)


def _plate_codec(small_batch: bool = True) -> lineplate.LinePlateCodec:
    """The codec as a 1 kHz plate's device sets it up (the stream's ~100 counts/g)."""
    limits = PlateLimits(
        rate_hz=1000, scales=np.full(4, STANDARD_GRAVITY / 100_000), capacity_n=2452.0
    )
    codec = lineplate.LinePlateCodec(limits)
    codec.small_batch = small_batch
    return codec


@contextmanager
def _python_small_batch() -> Iterator[None]:
    """Run the line plate's plain-Python small-batch path instead of the compiled one (the
    codec looks ``lineplate_fast.feed`` up at every call)."""
    compiled = plate_fast.feed
    plate_fast.feed = plate_fast.feed_python
    try:
        yield
    finally:
        plate_fast.feed = compiled


def _wit_codec(small_batch: bool = True) -> witmotion.WitMotionCodec:
    codec = witmotion.WitMotionCodec(output_rate_hz=200)
    codec.small_batch = small_batch
    return codec


def _small_reads(quick: bool) -> dict[str, float]:
    """Throughput at the read sizes a reader thread really gets, and the naive ratios."""
    figures: dict[str, float] = {}
    count = 20_000 if quick else 80_000
    wit = wit_stream(count)
    line_stream = lineplate_stream(count)
    line_len = len(line_stream) / count
    for frames, chunk in ((1, 11), (5, 55), (10, 110), (0, CHUNK_BYTES)):
        label = f"{frames}frame" if frames else "4k"
        codec = _rates(_wit_codec, wit, lambda c: c.frames, chunk)[0]
        naive = _rates(lambda: _Naive(NaiveWitParser()), wit, lambda c: c.items, chunk)[0]
        figures[f"wit_codec_{label}_frames_per_s"] = codec
        figures[f"wit_naive_{label}_frames_per_s"] = naive
        figures[f"wit_codec_vs_naive_{label}"] = round(codec / naive, 2)
        if frames:
            numpy_only = _rates(lambda: _wit_codec(False), wit, lambda c: c.frames, chunk)[0]
            figures[f"wit_codec_{label}_frames_per_s_numpy_only"] = numpy_only
    for lines in (1, 5, 10, 0):
        label = f"{lines}line" if lines else "4k"
        chunk = round(line_len * lines) if lines else CHUNK_BYTES
        codec = _rates(_plate_codec, line_stream, lambda c: c.lines, chunk)[0]
        naive = _rates(lambda: _Naive(NaiveLineParser()), line_stream, lambda c: c.items, chunk)[0]
        figures[f"lineplate_codec_{label}_lines_per_s"] = codec
        figures[f"lineplate_naive_{label}_lines_per_s"] = naive
        figures[f"lineplate_codec_vs_naive_{label}"] = round(codec / naive, 2)
        if lines:
            slow = _rates(lambda: _plate_codec(False), line_stream, lambda c: c.lines, chunk)[0]
            figures[f"lineplate_codec_{label}_lines_per_s_numpy_only"] = slow
        if lines and plate_fast.IMPLEMENTATION == "c":
            with _python_small_batch():
                python = _rates(_plate_codec, line_stream, lambda c: c.lines, chunk)[0]
            figures[f"lineplate_codec_{label}_lines_per_s_python"] = python
    figures["lineplate_small_batch_c"] = 1.0 if plate_fast.IMPLEMENTATION == "c" else 0.0
    return figures


def measure(quick: bool) -> dict[str, float]:
    """Codec throughput figures (see the module docstring)."""
    size = 200_000 if quick else 1_000_000
    wit = _rates(
        lambda: witmotion.WitMotionCodec(output_rate_hz=200), wit_stream(size), lambda c: c.frames
    )
    rion_rates = _rates(
        lambda: rion.RionCodec(output_rate_hz=100), rion_stream(size), lambda c: c.frames
    )
    line = _rates(lineplate.LinePlateCodec, lineplate_stream(size), lambda c: c.lines)
    return {
        **_small_reads(quick),
        "wit_codec_frames_per_s": wit[0],
        "rion_codec_frames_per_s": rion_rates[0],
        "lineplate_codec_lines_per_s": line[0],
        "wit_codec_frames_wall_per_s": wit[1],
        "rion_codec_frames_wall_per_s": rion_rates[1],
        "lineplate_codec_lines_wall_per_s": line[1],
    }
