"""De-identification for exports: nothing a person typed leaves, ids become salted hashes.

What a de-identified export keeps, in every format:

* patients, visits and trials under pseudonyms: ``p-…``, ``s-…``, ``t-…`` = the first 16
  hex digits of HMAC-SHA256 of the record's ``uid`` with the clinic's secret salt (stored
  in the settings as ``export_salt`` on first use). The same record gets the same pseudonym
  in every export of this clinic — linkable by the clinic, not reversible without the salt;
* examiners as ``e-…`` pseudonyms of their (case-folded) name, so "who measured" can
  still be compared (inter-examiner reliability) without naming anyone;
* coded values only: enumerations (side, protocol, condition, status, site…), numbers,
  booleans and the dates of visits and trials (needed for trends: a de-identified export
  is pseudonymous data, not anonymous data).

What it drops: names, birth dates (age in years instead), record numbers, every
free-text field (patient, visit and plan notes, void reasons, the plan's generated and
edited prose, dose remarks), and every string in a result, test plan or plan that is not
a code (see :func:`is_code`). Invalid reasons, which are sentences, are replaced by a code
(:func:`coded_reason`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from clinic_app.storage import Database, Trial

SALT_SETTING = "export_salt"
DROPPED_PATIENT_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "record_number",
    "notes",
    "created_at",
    "updated_at",
    "deleted_at",
)
GENERATOR = "generator"
"""``edited_by`` of a plan version made by the plan generator (not a person)."""

_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_EVIDENCE = re.compile(r"[A-Z]{1,2}")


def is_code(value: object) -> bool:
    """True if ``value`` is a machine code (``eo_firm``, ``heel_lift``, ``calf_stretch``):
    lower-case ASCII letters, digits and underscores, starting with a letter, ≤ 64 chars.

    Names, phone numbers, record numbers and dates never have this form (they carry
    capitals, spaces, digits first, hyphens or non-ASCII letters).
    """
    return isinstance(value, str) and _CODE.fullmatch(value) is not None


class Pseudonymizer:
    """Maps record identities to stable salted hashes (HMAC-SHA256, first 16 hex digits).

    Parameters
    ----------
    salt : bytes
        The clinic's secret; at least 16 bytes.
    """

    def __init__(self, salt: bytes) -> None:
        if len(salt) < 16:
            raise ValueError("the de-identification salt must be at least 16 bytes")
        self._salt = salt

    def pseudonym(self, kind: str, key: int | str) -> str:
        """``kind`` (patient, session, trial) and identity (the uid) → e.g. ``"p-3f9c…"``."""
        digest = hmac.new(self._salt, f"{kind}:{key}".encode(), hashlib.sha256)
        return f"{kind[0]}-{digest.hexdigest()[:16]}"

    def examiner(self, name: str | None) -> str:
        """An examiner's pseudonym (``e-…``); "" for no examiner. Case and accents of the
        name do not matter, so "Dr Ana Ruiz" and "dr ana ruiz" are one examiner."""
        folded = " ".join(unicodedata.normalize("NFKC", name or "").casefold().split())
        return self.pseudonym("examiner", folded) if folded else ""

    def editor(self, edited_by: str) -> str:
        """``edited_by`` of a plan version: the generator stays, a person is pseudonymised."""
        return GENERATOR if edited_by == GENERATOR else self.examiner(edited_by)

    @classmethod
    def for_clinic(cls, db: Database) -> Pseudonymizer:
        """The clinic's pseudonymizer, creating and storing its salt on first use."""
        salt_hex = db.get_setting(SALT_SETTING)
        if not isinstance(salt_hex, str) or len(salt_hex) < 32:
            salt_hex = secrets.token_hex(32)
            db.set_setting(SALT_SETTING, salt_hex)
        return cls(bytes.fromhex(salt_hex))


def scrub(value: Any) -> Any:
    """A JSON value with every string that is not a code removed (and every key that is
    not one): numbers, booleans and null stay, lists and objects are scrubbed inside."""
    if isinstance(value, Mapping):
        return {k: scrub(v) for k, v in value.items() if is_code(k) and _keeps(v)}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value if _keeps(v)]
    return value


def _keeps(value: Any) -> bool:
    return not isinstance(value, str) or is_code(value)


def coded_reason(trial: Trial) -> str | None:
    """A code for why a trial is not valid (its ``invalid_reason`` is a sentence).

    ``heel_lift`` (lunge), the balance failure code (``touchdown``, ``step``,
    ``foot_shift``, ``stepped_off``), ``incomplete``, or ``other``; None for valid trials.
    """
    if trial.status == "valid":
        return None
    result = trial.result or {}
    failure = result.get("failure_reason")
    if is_code(failure):
        return str(failure)
    if trial.protocol == "lunge" and result.get("heel_lift") is True:
        return "heel_lift"
    if trial.status == "incomplete":
        return "incomplete"
    return "other" if trial.invalid_reason else None


def _date_or_none(value: Any) -> str | None:
    """An ISO date or date-time string kept as is; anything else dropped."""
    if not isinstance(value, str):
        return None
    try:
        (datetime if "T" in value else date).fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value


def _evidence(value: Any) -> str | None:
    return value if isinstance(value, str) and _EVIDENCE.fullmatch(value) else None


def _notes(items: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": n.get("id"),
            "because": n.get("because", []),
            "evidence": _evidence(n.get("evidence")),
        }
        for n in items or []
        if isinstance(n, Mapping)
    ]


def deidentified_plan(plan: Mapping[str, Any], session_pseudonym: str) -> dict[str, Any]:
    """The coded structure of a plan (the Plan JSON of ``docs/data-model.md``).

    Kept: phases with their exercises, levels, numeric doses and the findings that
    triggered them (ids, kinds, sides, levels, evidence tags), red-flag ids, the re-test
    date and the pain limits. Dropped: every sentence (summary, finding and note texts,
    phase titles and criteria, pain rule, dose sources and remarks, item notes,
    clinician notes). ``session_id`` becomes the visit's pseudonym.
    """
    findings = [
        {key: f.get(key) for key in ("id", "kind", "side", "condition", "level", "clinic_default")}
        | {"evidence": _evidence(f.get("evidence"))}
        for f in plan.get("findings") or []
        if isinstance(f, Mapping)
    ]
    phases = []
    for phase in plan.get("phases") or []:
        if not isinstance(phase, Mapping):
            continue
        items = []
        for item in phase.get("items") or []:
            if not isinstance(item, Mapping):
                continue
            raw_dose = item.get("dose")
            dose: Mapping[str, Any] = raw_dose if isinstance(raw_dose, Mapping) else {}
            items.append(
                {
                    "exercise_id": item.get("exercise_id"),
                    "level": item.get("level"),
                    "dose": {k: v for k, v in dose.items() if not isinstance(v, str)},
                    "dose_evidence": _evidence(item.get("dose_evidence")),
                    "because": item.get("because", []),
                    "side": item.get("side"),
                }
            )
        phases.append(
            {
                "id": phase.get("id"),
                "status": phase.get("status"),
                "because": phase.get("because", []),
                "items": items,
            }
        )
    coded = {
        "schema": plan.get("schema"),
        "session_id": session_pseudonym,
        "generated_at": _date_or_none(plan.get("generated_at")),
        "retest_date": _date_or_none(plan.get("retest_date")),
        "retest_weeks": plan.get("retest_weeks"),
        "status": plan.get("status"),
        "findings": findings,
        "red_flags": plan.get("red_flags", []),
        "red_flags_checked": plan.get("red_flags_checked"),
        "referral_notes": _notes(plan.get("referral_notes")),
        "prompts": _notes(plan.get("prompts")),
        "phases": phases,
        "pain_safe_max_nrs": plan.get("pain_safe_max_nrs"),
        "pain_acceptable_max_nrs": plan.get("pain_acceptable_max_nrs"),
    }
    # Already checked above. A tuple, not a set: a set's order follows the process's hash
    # seed, so the same plan came out with its keys in another order in another process.
    kept = ("session_id", "generated_at", "retest_date")
    scrubbed = _scrub_keeping(
        {k: v for k, v in coded.items() if k not in kept}, {"evidence", "dose_evidence"}
    )
    return {**{k: coded[k] for k in kept}, **scrubbed}


def _scrub_keeping(value: Any, evidence_keys: set[str]) -> Any:
    """:func:`scrub`, except that already-checked evidence tags (``S``, ``U``) stay."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if key in evidence_keys:
                out[key] = item
            elif is_code(key) and _keeps(item):
                out[key] = _scrub_keeping(item, evidence_keys)
        return out
    if isinstance(value, list | tuple):
        return [_scrub_keeping(v, evidence_keys) for v in value if _keeps(v)]
    return value
