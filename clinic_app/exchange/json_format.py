"""DorsiLab JSON export and import (one module to import both from).

Writing: :mod:`clinic_app.exchange.json_export` (streamed patient by patient). Reading:
:mod:`clinic_app.exchange.json_import` (validated whole against
:mod:`clinic_app.exchange.json_schema` before anything is written). The format, its
limits and its version history are described in ``docs/exchange.md``.
"""

from __future__ import annotations

from clinic_app.exchange.json_export import (
    encode_array,
    export_document,
    patient_record,
    write_json,
    write_json_export,
)
from clinic_app.exchange.json_import import (
    ImportFormatError,
    ImportSummary,
    decode_recording,
    import_document,
    read_document,
    validate_document,
)
from clinic_app.exchange.json_schema import FORMAT_NAME, FORMAT_VERSION, LIMITS, Limits

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "LIMITS",
    "ImportFormatError",
    "ImportSummary",
    "Limits",
    "decode_recording",
    "encode_array",
    "export_document",
    "import_document",
    "patient_record",
    "read_document",
    "validate_document",
    "write_json",
    "write_json_export",
]
