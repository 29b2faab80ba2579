"""Types of the compiled small-batch path (``_lineplate_c.c``; see :mod:`.lineplate_fast`)."""

from collections.abc import Callable
from typing import Any, Final

MAX_BYTES: Final[int]
MAX_LINE: Final[int]
SAMPLE_SIZE: Final[int]
SEQ_MODULUS: Final[int]
COUNT_LIMIT: Final[int]

def feed(codec: Any, data: Any, consts: tuple[Any, ...], t_host_s: float, /) -> Any: ...
def pack(
    values: tuple[Any, ...],
    clock_tolerance: float,
    clock_slack_us: float,
    max_rate: float,
    max_gap_s: float,
    /,
) -> bytes: ...
def bind(
    batch_type: type, empty: Any, new_block: Callable[[Any], None], block_rows: int, /
) -> None: ...
