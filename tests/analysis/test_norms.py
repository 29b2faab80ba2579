"""The thresholds file: complete, tagged, [U] entries editable, overrides marked local."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clinic_app.analysis.norms import EVIDENCE_TAGS, NormsError, load_norms, parse_norms
from tests.conftest import REPO_ROOT


def test_every_entry_is_complete_and_tagged() -> None:
    norms = load_norms()
    assert len(norms) > 40
    for key, entry in norms.items():
        assert entry.evidence in EVIDENCE_TAGS, key
        assert entry.source.strip(), key
        if entry.evidence == "U":
            assert entry.editable and entry.is_clinic_default, key
            assert "not research-based" in entry.label


def test_every_key_the_code_reads_exists() -> None:
    """Scan the analysis package for norms keys so a typo cannot hide until run time."""
    norms = load_norms()
    used: set[str] = set()
    for path in (REPO_ROOT / "clinic_app" / "analysis").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'norms(?:\.value)?\[?\(?"([a-z_]+\.[a-z0-9_]+)"', text))
        used |= set(re.findall(r'norms\["([a-z_]+\.[a-z0-9_]+)"\]', text))
    assert len(used) > 25
    assert not sorted(k for k in used if k not in norms)


@pytest.mark.parametrize(
    ("key", "value", "tag"),
    [("mdc.lunge_distance_same_examiner_cm", 1.9, "C"),
     ("mdc.lunge_distance_different_examiner_cm", 1.6, "C"),
     ("mdc.lunge_angle_same_examiner_deg", 4.7, "C"),
     ("mdc.lunge_angle_different_examiner_deg", 4.6, "C"),
     ("mdc.balance_ec_velocity_cm_s", 2.5, "D"),
     ("asymmetry.lunge_distance_flag_cm", 1.5, "C"),
     ("asymmetry.lunge_angle_flag_deg", 5.0, "D"),
     ("reference.lunge_angle_restricted_deg", 36.5, "C"),
     ("reference.lunge_distance_restricted_cm", 10.0, "U"),
     ("balance.lowpass_hz", 10.0, "C"),
     ("balance.min_load_n", 20.0, "S")],
)  # fmt: skip
def test_clinical_values_match_the_reference(key: str, value: float, tag: str) -> None:
    entry = load_norms()[key]
    assert (float(entry.value), entry.evidence) == (value, tag)


def test_overrides_are_local_and_only_for_editable_entries() -> None:
    norms = load_norms().with_overrides({"lunge.hold_min_s": 3.0})
    assert norms.value("lunge.hold_min_s") == 3.0 and norms["lunge.hold_min_s"].local
    assert norms["lunge.hold_min_s"].label == "clinic setting (local)"
    assert load_norms().value("lunge.hold_min_s") == 2.0  # the bundled file is untouched
    with pytest.raises(NormsError, match="evidence-based"):
        load_norms().with_overrides({"mdc.lunge_distance_same_examiner_cm": 1.0})
    with pytest.raises(NormsError, match="no entry"):
        load_norms().with_overrides({"nope.nothing": 1.0})


@pytest.mark.parametrize(
    ("text", "message"),
    [('[a.b]\nvalue = 1\nunits = "x"\nsource = "s"\n', "lacks a text 'evidence'"),
     ('[a.b]\nvalue = 1\nunits = "x"\nsource = "s"\nevidence = "Q"\n', "not C/S/D/U"),
     ('[a.b]\nvalue = 1\nunits = "x"\nsource = "s"\nevidence = "U"\n', "must be an editable"),
     ('[a.b]\nvalue = true\nunits = "x"\nsource = "s"\nevidence = "C"\n', "number or text"),
     ("[a.b\n", "norms.toml")],
)  # fmt: skip
def test_malformed_files_are_named(text: str, message: str) -> None:
    with pytest.raises(NormsError, match=message):
        parse_norms(text)


def test_load_from_another_file(tmp_path: Path) -> None:
    path = tmp_path / "n.toml"
    path.write_text('[x.y]\nvalue = 2\nunits = "cm"\nsource = "s"\nevidence = "C"\n', "utf-8")
    assert load_norms(path).value("x.y") == 2.0
