"""The thresholds file ``resources/norms.toml``: every threshold with its source and evidence.

Each entry has a value, units, an evidence tag and a source. Tags:

``C``
    confirmed against the primary text;
``S``
    from a secondary summary;
``D``
    derived by calculation in the clinical reference (not a published value);
``U``
    unconfirmed: an editable clinic default, never to be presented as evidence.

A clinic may override editable entries (Settings); an overridden entry keeps its key but
is marked ``local`` and its source says so.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from clinic_app.paths import resource

EVIDENCE_TAGS = ("C", "S", "D", "U")

CLINIC_SETTINGS = (
    "reference.lunge_distance_restricted_cm",
    "reference.balance_ec_velocity_low_cm_s",
    "reference.balance_ec_velocity_high_cm_s",
    "reference.balance_ec_velocity_flag_cm_s",
    "balance.repeated_failure_trials",
    "retest.min_weeks",
    "retest.max_weeks",
    "retest.plateau_weeks",
    "plan.balance_programme_weeks",
    "plan.tendon_loading_review_weeks",
)
"""The editable thresholds a clinic sets in Settings: the ones the results, the report and
the plan judge with (capture and detection defaults are device settings, not listed here)."""


class NormsError(ValueError):
    """The thresholds file is malformed or an entry is missing."""


@dataclass(frozen=True)
class NormEntry:
    """One threshold, cut-off, MDC, norm or protocol default.

    Attributes
    ----------
    key : str
        Dotted path in the file, e.g. ``"mdc.lunge_distance_same_examiner_cm"``.
    value : float or str
        The number (float, also for counts) or, rarely, a text such as a site name.
    units : str
        Units of ``value`` ("" when dimensionless).
    evidence : str
        ``"C"``, ``"S"``, ``"D"`` or ``"U"``.
    source : str
        Citation as in the clinical reference.
    editable : bool
        True when a clinic may change it (always true for ``U``).
    note : str
        Why this value or how to use it ("" if none).
    local : bool
        True when the clinic overrode the file's value.
    name : str
        The threshold in words (entries a clinic sets in Settings); "" otherwise.
    """

    key: str
    value: float | str
    units: str
    evidence: str
    source: str
    editable: bool
    note: str = ""
    local: bool = False
    name: str = ""

    @property
    def is_clinic_default(self) -> bool:
        """True for unconfirmed ([U]) or clinic-overridden entries: never shown as evidence."""
        return self.evidence == "U" or self.local

    @property
    def label(self) -> str:
        """Short provenance text for reports, e.g. ``"[C] Powden 2015…"`` or a clinic default."""
        if self.local:
            return "clinic setting (local)"
        if self.evidence == "U":
            return "editable clinic default, not research-based"
        return f"[{self.evidence}] {self.source}"


class Norms(Mapping[str, NormEntry]):
    """Read-only collection of :class:`NormEntry` keyed by dotted path."""

    def __init__(self, entries: Mapping[str, NormEntry], origin: str = "") -> None:
        self._entries = dict(entries)
        self.origin = origin

    def __getitem__(self, key: str) -> NormEntry:
        try:
            return self._entries[key]
        except KeyError:
            raise NormsError(f"norms: no entry {key!r} in {self.origin or 'norms.toml'}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def value(self, key: str) -> float:
        """The numeric value of entry ``key`` (raises :class:`NormsError` for text values)."""
        entry = self[key]
        if isinstance(entry.value, str):
            raise NormsError(f"norms: entry {key!r} is text, not a number")
        return float(entry.value)

    def text(self, key: str) -> str:
        """The value of entry ``key`` as text."""
        return str(self[key].value)

    def with_overrides(self, overrides: Mapping[str, float | str]) -> Norms:
        """A copy where the given editable entries take the clinic's values (marked local).

        Raises
        ------
        NormsError
            For an unknown key or an entry that is not editable.
        """
        entries = dict(self._entries)
        for key, value in overrides.items():
            entry = self[key]
            if not entry.editable:
                raise NormsError(
                    f"norms: entry {key!r} is evidence-based and cannot be overridden"
                )
            if isinstance(entry.value, str) != isinstance(value, str):
                raise NormsError(f"norms: entry {key!r} needs a {type(entry.value).__name__}")
            new_value: float | str = value if isinstance(value, str) else float(value)
            entries[key] = replace(entry, value=new_value, local=True)
        return Norms(entries, origin=self.origin)


def check_override(entry: NormEntry, value: float) -> str:
    """Why ``value`` cannot replace ``entry`` ("" when it can): finite, not negative."""
    if not entry.editable:
        return f"{entry.name or entry.key} is evidence-based and cannot be changed"
    if not isinstance(value, int | float) or isinstance(value, bool) or value != value:
        return f"{entry.name or entry.key} needs a number"
    if value < 0 or value in (float("inf"), float("-inf")):
        return f"{entry.name or entry.key} must be a finite number of 0 or more"
    if entry.units in ("count", "weeks") and value == 0:
        return f"{entry.name or entry.key} must be at least 1"
    return ""


def parse_norms(text: str, origin: str = "norms.toml") -> Norms:
    """Parse the TOML text of a thresholds file and check every entry.

    Raises
    ------
    NormsError
        Naming the entry and what is wrong (missing field, bad tag, [U] not editable).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise NormsError(f"{origin}: {exc}") from None
    entries: dict[str, NormEntry] = {}
    _collect(data, "", entries, origin)
    return Norms(entries, origin=origin)


def _collect(
    table: Mapping[str, object], prefix: str, out: dict[str, NormEntry], origin: str
) -> None:
    for name, item in table.items():
        if not isinstance(item, dict):
            continue
        key = f"{prefix}{name}"
        if "value" in item:
            out[key] = _entry(key, item, origin)
        else:
            _collect(item, key + ".", out, origin)


def _entry(key: str, item: Mapping[str, object], origin: str) -> NormEntry:
    for field in ("units", "evidence", "source"):
        if not isinstance(item.get(field), str):
            raise NormsError(f"{origin}: entry {key!r} lacks a text {field!r}")
    evidence = str(item["evidence"])
    if evidence not in EVIDENCE_TAGS:
        raise NormsError(f"{origin}: entry {key!r} has evidence {evidence!r}, not C/S/D/U")
    editable = item.get("editable", False)
    if not isinstance(editable, bool):
        raise NormsError(f"{origin}: entry {key!r} 'editable' must be true or false")
    if evidence == "U" and not editable:
        raise NormsError(f"{origin}: entry {key!r} is [U] and must be an editable clinic default")
    raw = item["value"]
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise NormsError(f"{origin}: entry {key!r} value must be a number or text")
    value: float | str = raw if isinstance(raw, str) else float(raw)
    return NormEntry(
        key=key,
        value=value,
        units=str(item["units"]),
        evidence=evidence,
        source=str(item["source"]),
        editable=editable,
        note=str(item.get("note", "")),
        name=str(item.get("name", "")),
    )


@functools.cache
def _bundled() -> Norms:
    path = resource("norms.toml")
    return parse_norms(path.read_text(encoding="utf-8"), origin=str(path))


def load_norms(path: Path | None = None) -> Norms:
    """Load the thresholds file (the bundled ``resources/norms.toml`` by default).

    Parameters
    ----------
    path : Path, optional
        Another thresholds file, e.g. in tests.
    """
    if path is None:
        return _bundled()
    return parse_norms(path.read_text(encoding="utf-8"), origin=str(path))
