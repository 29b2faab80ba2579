"""DorsiLab line-protocol codec: PROTOCOL.md examples, devices.md §4.5 item 9, equivalence."""

from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.codecs import lineplate as lp

EXAMPLE = b"$FP,42,1050000,812345,790112,805678,799001*23\r\n"
STRUCTURE = re.compile(rb"[\x20-\x29\x2B-\x7E]*\*[0-9A-Fa-f]{2}")
FP_FIELDS = re.compile(rb"FP,(\d{1,10}),(\d{1,10})" + rb",(-?\d{1,10})" * 4)


class ReferenceParser:
    """The framing rule of the codec's docstring, one byte at a time (the oracle)."""

    def __init__(self) -> None:
        self.line: bytearray | None = None
        self.samples: list[tuple[int, ...]] = []
        self.messages: list[tuple[str, tuple[str, ...]]] = []
        self.dropped = self.malformed = self.failures = self.implausible = self.lines = 0

    def feed(self, data: bytes) -> None:
        for value in data:
            byte = bytes((value,))
            if self.line is None:
                if byte == b"$":
                    self.line = bytearray(byte)
                elif byte not in b"\r\n":
                    self.dropped += 1
                continue
            if byte == b"$":
                self.malformed += 1
                self.dropped += len(self.line)
                self.line = bytearray(byte)
            elif byte in b"\r\n":
                self._complete(bytes(self.line[1:]))
                self.line = None
            else:
                self.line += byte
                if len(self.line) > lp.MAX_LINE:
                    self.malformed += 1
                    self.dropped += len(self.line)
                    self.line = None

    def _complete(self, body: bytes) -> None:
        if len(body) + 1 > lp.MAX_LINE or not STRUCTURE.fullmatch(body):
            self.malformed += 1
            self.dropped += len(body) + 1
            return
        if lp.xor8(body[:-3]) != int(body[-2:], 16):
            self.failures += 1
            self.dropped += len(body) + 1
            return
        if body.startswith(b"FP,"):
            match = FP_FIELDS.fullmatch(body[:-3])
            numbers = [int(g) for g in match.groups()] if match else []
            if not numbers or max(numbers[:2]) >= 2**32:
                self.malformed += 1
                self.dropped += len(body) + 1
                return
            self.lines += 1
            if all(abs(v) <= 2**24 for v in numbers[2:]):
                self.samples.append(tuple(numbers))
            else:
                self.implausible += 1
            return
        self.lines += 1
        kind, *fields = body[:-3].decode().split(",")
        self.messages.append((kind, tuple(fields)))


def samples_of(batches: list[lp.LineBatch]) -> np.ndarray:
    return np.concatenate([b.samples for b in batches]) if batches else lp.LineBatch().samples


def test_protocol_md_worked_example() -> None:
    assert lp.encode_fp(42, 1050000, 812345, 790112, 805678, 799001) == EXAMPLE
    assert lp.xor8(b"FP,42,1050000,812345,790112,805678,799001") == 0x23
    batch = lp.LinePlateCodec().feed(EXAMPLE, t_host_s=12.5)
    row = batch.samples[0]
    assert (row["seq"], row["t_us"]) == (42, 1050000)
    assert [row["tr"], row["br"], row["tl"], row["bl"]] == [812345, 790112, 805678, 799001]
    assert row["t_host_s"] == 12.5


@pytest.mark.parametrize("ending", [b"\r\n", b"\n", b"\r"])
def test_crlf_lf_and_cr_endings_give_the_same_samples(ending: bytes) -> None:
    lines = lp.encode_fp_lines(np.arange(5), np.arange(5) * 12500, np.ones((5, 4)))
    stream = lines.replace(b"\r\n", ending)
    codec = lp.LinePlateCodec()
    batch = codec.feed(stream)
    assert batch.samples["seq"].tolist() == [0, 1, 2, 3, 4]
    assert codec.dropped_bytes == 0 and codec.malformed == 0


def test_missing_checksum_overlong_line_and_non_ascii_byte_are_rejected() -> None:
    good = lp.encode_fp(1, 10, 1, 2, 3, 4)
    no_checksum = b"$FP,2,20,1,2,3,4\r\n"
    overlong = b"$FP," + b"1," * 60 + b"1*00\r\n"
    non_utf8 = b"$FP,3,30,1,2,3,\xff4*00\r\n"
    wrong_checksum = lp.encode_fp(4, 40, 1, 2, 3, 4).replace(b"*", b"0*", 1)
    codec = lp.LinePlateCodec(check_plausibility=False)
    batch = codec.feed(good + no_checksum + overlong + non_utf8 + wrong_checksum + good)
    assert batch.samples["seq"].tolist() == [1, 1]
    assert codec.malformed == 3 and codec.checksum_failures == 1
    assert codec.lines == 2


def test_lower_case_hex_and_resync_at_the_next_dollar() -> None:
    line = lp.encode_fp(7, 70, -5, 6, -7, 8)
    lower = line[:-4] + line[-4:-2].lower() + b"\r\n"
    codec = lp.LinePlateCodec(check_plausibility=False)
    batch = codec.feed(b"noise$FP,1,2" + lower + b"$$" + line)
    assert batch.samples["seq"].tolist() == [7, 7]
    assert batch.samples["tr"].tolist() == [-5, -5]
    assert codec.malformed == 3  # the half line cut by "$", then two lone "$"


def test_split_at_every_byte_boundary() -> None:
    stream = lp.encode_fp_lines(np.arange(4), np.arange(4), np.arange(16).reshape(4, 4))
    stream += lp.encode_info(lp.PlateInfo("DorsiLab-4C", "1.0.0", 80, "counts"))
    for cut in range(len(stream) + 1):
        codec = lp.LinePlateCodec()
        first, second = codec.feed(stream[:cut]), codec.feed(stream[cut:])
        assert samples_of([first, second])["seq"].tolist() == [0, 1, 2, 3]
        assert [m.kind for m in first.messages + second.messages] == ["INFO"]
        assert codec.buffered == 0 and codec.dropped_bytes == 0


def test_messages_info_err_ok_and_their_position() -> None:
    info = lp.PlateInfo("DorsiLab-4C", "1.0.0", 80.0, "counts", 1, "DL-0007")
    stream = (
        lp.encode_fp(1, 1, 0, 0, 0, 0)
        + lp.encode_info(info)
        + lp.encode_err(lp.ERR_BAD_ARGUMENT)
        + lp.encode_fp(2, 2, 0, 0, 0, 0)
        + lp.encode_ok("R", 80)
    )
    batch = lp.LinePlateCodec().feed(stream)
    kinds = [(m.kind, m.fields, m.after_samples) for m in batch.messages]
    assert kinds == [
        ("INFO", ("DorsiLab-4C", "1.0.0", "80", "counts", "1", "DL-0007"), 1),
        ("ERR", ("2", "bad argument"), 1),
        ("OK", ("R", "80"), 2),
    ]
    assert batch.messages[0].info() == info
    assert batch.messages[1].info() is None
    old_firmware = lp.LinePlateCodec().feed(
        b"$INFO,Plate,0.9,80,g*" + b"%02X\n" % lp.xor8(b"INFO,Plate,0.9,80,g")
    )
    assert old_firmware.messages[0].info() == lp.PlateInfo("Plate", "0.9", 80.0, "g", 1, "")


def test_sequence_gaps_wrap_and_resets() -> None:
    seq = [2**32 - 2, 2**32 - 1, 0, 1, 5, 6, 0, 1]
    codec = lp.LinePlateCodec(check_plausibility=False)
    for s in seq:
        codec.feed(lp.encode_fp(s, s, 0, 0, 0, 0))
    assert codec.seq_gaps == 3
    assert codec.seq_resets == 1


def test_cells_beyond_24_bits_are_implausible() -> None:
    codec = lp.LinePlateCodec()
    batch = codec.feed(
        lp.encode_fp(1, 1, 2**24 + 1, 0, 0, 0) + lp.encode_fp(2, 2, -(2**24), 0, 0, 0)
    )
    assert batch.samples["seq"].tolist() == [2]
    assert codec.implausible == 1


def test_host_command_encoders_and_device_side_parser() -> None:
    assert lp.cmd_query() == b"?\r\n"
    assert lp.cmd_tare() == b"T\r\n"
    assert lp.cmd_rate(80) == b"R80\r\n"
    assert lp.cmd_stop() == b"S\r\n" and lp.cmd_go() == b"G\r\n"
    with pytest.raises(ValueError, match="1-1000 Hz"):
        lp.cmd_rate(0)
    parser = lp.HostCommandParser()
    got = parser.feed(b"?\r\nT\nR 80\r") + parser.feed(b"\nS") + parser.feed(b"\r\nG\n\n")
    assert got == [("?", ""), ("T", ""), ("R", "80"), ("S", ""), ("G", "")]
    assert parser.feed(b"X" * 40) == [("", "")]


def test_ten_megabytes_of_noise_bounded_memory_and_no_samples() -> None:
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, 10 * 1024 * 1024, np.uint8).tobytes()
    codec = lp.LinePlateCodec()
    tracemalloc.start()
    try:
        produced = 0
        for i in range(0, len(noise), 4096):
            produced += len(codec.feed(noise[i : i + 4096]).samples)
            assert codec.buffered <= lp.MAX_LINE
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024
    assert produced == 0 and codec.lines == 0
    # Noise made only of protocol characters is the hard case: still nothing gets through.
    alphabet = np.frombuffer(b"$FP,0123456789-*\r\nABCDEF", np.uint8)
    text = alphabet[rng.integers(0, len(alphabet), 2 * 1024 * 1024)].tobytes()
    assert len(lp.LinePlateCodec().feed(text).samples) == 0


fp_lines = st.builds(
    lambda s, t, cells: lp.encode_fp(s, t, *cells),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(-(2**25), 2**25), min_size=4, max_size=4),
)
segments = st.one_of(
    fp_lines,
    fp_lines.map(lambda b: b.replace(b"\r\n", b"\n")),
    fp_lines.map(lambda b: b[: len(b) // 2]),
    fp_lines.map(lambda b: b.replace(b",", b",,", 1)),
    fp_lines.map(lambda b: b.replace(b"*", b"")),
    st.sampled_from(
        [b"$", b"\r", b"\n", b"*", b"$FP,1,2,3,4,5,6*00\n", b"$OK,T*7C\r\n", b"\xff", b"$FP,-0,"]
    ),
    st.binary(max_size=12),
    st.text("$FP,0123456789-*\r\n", max_size=20).map(str.encode),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(segments, max_size=25), st.lists(st.integers(1, 60), min_size=1, max_size=6))
def test_vectorised_parser_equals_the_byte_by_byte_rule(
    parts: list[bytes], chunks: list[int]
) -> None:
    stream = b"".join(parts)
    codec = lp.LinePlateCodec(check_plausibility=False)
    reference = ReferenceParser()
    batches = []
    position = 0
    while position < len(stream):
        for size in chunks:
            piece = stream[position : position + size]
            position += size
            batches.append(codec.feed(piece))
            reference.feed(piece)
    samples = samples_of(batches)
    got = [tuple(int(r[k]) for k in ("seq", "t_us", "tr", "br", "tl", "bl")) for r in samples]
    assert got == reference.samples
    assert [(m.kind, m.fields) for b in batches for m in b.messages] == reference.messages
    assert codec.lines == reference.lines
    assert codec.malformed == reference.malformed
    assert codec.checksum_failures == reference.failures
    assert codec.implausible == reference.implausible
    assert codec.dropped_bytes == reference.dropped
    pending = len(reference.line) if reference.line is not None else 0
    assert codec.buffered == pending


# Random bytes as a noisy line produces them (hypothesis could forge a valid line).
RANDOM_BYTES = st.builds(
    lambda seed, size: np.random.default_rng(seed).bytes(size),
    st.integers(0, 2**32 - 1),
    st.integers(1, 20),
)
CLEAN_LINES = lp.encode_fp_lines(
    np.arange(40), np.arange(40) * 12500, np.arange(160).reshape(40, 4)
).splitlines(keepends=True)


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(st.integers(0, 39), st.tuples(st.integers(0, 70), st.integers(0, 7))),
    st.dictionaries(st.integers(0, 40), RANDOM_BYTES),
    st.integers(1, 64),
)
def test_bit_flips_and_noise_between_lines_never_reach_a_sample(
    flips: dict[int, tuple[int, int]], noise: dict[int, bytes], chunk: int
) -> None:
    """The errors XOR8 is designed to catch: any single-bit error in a line (a UART
    error), plus garbage between lines. (XOR-neutral damage such as a duplicated pair of
    identical bytes is not detectable by XOR8: see PROTOCOL.md section 2.)"""
    pieces = []
    for index, line in enumerate(CLEAN_LINES):
        pieces.append(noise.get(index, b""))
        if index in flips:
            position, bit = flips[index]
            damaged = bytearray(line)
            damaged[position % len(line)] ^= 1 << bit
            line = bytes(damaged)
        pieces.append(line)
    stream = b"".join(pieces) + noise.get(40, b"")
    codec = lp.LinePlateCodec()
    samples = samples_of([codec.feed(stream[i : i + chunk]) for i in range(0, len(stream), chunk)])
    for row in samples:  # a flip in a line ending may leave the line intact: still genuine
        seq = int(row["seq"])
        assert int(row["t_us"]) == seq * 12500
        assert [int(row[c]) for c in ("tr", "br", "tl", "bl")] == list(range(4 * seq, 4 * seq + 4))
    assert len(samples) >= 40 - len(flips)  # garbage before a "$" never costs a line


def test_every_example_line_in_protocol_md_is_valid() -> None:
    text = (Path(__file__).resolve().parents[2] / "drivers" / "PROTOCOL.md").read_text()
    examples = re.findall(r"(\$[A-Z]+,[^`<\n*$]*\*[0-9A-F]{2})", text)
    assert len(examples) >= 20
    codec = lp.LinePlateCodec(check_plausibility=False)
    batch = codec.feed(b"".join(line.encode() + b"\r\n" for line in examples))
    assert codec.malformed == codec.checksum_failures == 0
    assert len(batch.samples) + len(batch.messages) == len(examples)
