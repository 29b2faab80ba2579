"""Is a C3D file whole? Its size against what its header says it holds.

ezc3d reads a file that was cut short (a copy interrupted, a download stopped) without an
error, filling the missing frames with zeros, and on some files it aborts the whole
process from C++ (``std::out_of_range``), which Python cannot catch. So a file is measured
against its own header before ezc3d sees it.

The C3D header (first 512-byte block; 16-bit words, in the byte order of the processor
named in the parameter section):

- word 2: 3-D points per frame; word 3: analog samples per 3-D frame (all channels);
- words 4, 5: first and last frame (1-based);
- words 7–8: the point scale factor, a float whose sign says the data are floats (< 0,
  4 bytes a value) or integers (2 bytes a value);
- word 9: the first 512-byte block of the data.

A frame is ``4 × points + analog samples`` values. The header's frame numbers are 16-bit,
so a file of more than 65,535 frames keeps its true length in parameters; its size is then
checked only against the frames the header can name (the check never refuses a whole file).
"""

from __future__ import annotations

import struct
from pathlib import Path

from clinic_app.exchange.recordings.base import RecordingError

BLOCK = 512
_PROCESSOR_BIG_ENDIAN = 86  # MIPS (SGI); 84 is Intel, 85 DEC (both little-endian words)
_PROCESSOR_DEC = 85


def expected_size(head: bytes) -> int | None:
    """Bytes a C3D file must have, from its first blocks; None if the header cannot say.

    Parameters
    ----------
    head : bytes
        At least the header block and the first 4 bytes of the parameter section.
    """
    if len(head) < BLOCK or head[1] != 0x50:
        return None
    parameter_block = head[0]
    start = (parameter_block - 1) * BLOCK
    if parameter_block < 2 or len(head) < start + 4:
        return None
    processor = head[start + 3]
    order = ">" if processor == _PROCESSOR_BIG_ENDIAN else "<"
    points, analogs, first, last = (int(v) for v in struct.unpack_from(f"{order}4H", head, 2))
    data_block = int(struct.unpack_from(f"{order}H", head, 16)[0])
    if processor == _PROCESSOR_DEC:
        # A DEC float keeps its sign in the high byte of its first (little-endian) word.
        floats = bool(head[13] & 0x80)
    else:
        floats = struct.unpack_from(f"{order}f", head, 12)[0] < 0
    if data_block < 2 or last < first or first < 1:
        return None
    frames = last - first + 1
    value_bytes = 4 if floats else 2
    return (data_block - 1) * BLOCK + frames * (4 * points + analogs) * value_bytes


def check_whole(path: Path) -> None:
    """Raise :class:`RecordingError` if ``path`` is shorter than its header says.

    Parameters
    ----------
    path : Path
        A file that claims to be C3D. Files whose header cannot be read are left for the
        reader to judge.
    """
    size = path.stat().st_size
    with path.open("rb") as file:
        head = file.read(BLOCK * 256)  # the parameter section starts within these blocks
    needed = expected_size(head)
    if needed is not None and size < needed:
        raise RecordingError(
            path.name,
            f"is cut short: it has {size:,} bytes of the {needed:,} its header describes "
            "(an interrupted copy or download?); copy the file again",
        )
