"""Property tests: any typed prefix finds the patient; any chunking round-trips exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic_app.storage import Database

NAME_CHARS = st.characters(categories=("Lu", "Ll", "Lo"), exclude_characters="\x00")
NAMES = st.text(
    alphabet=st.one_of(NAME_CHARS, st.sampled_from(" '-")), min_size=1, max_size=24
).filter(lambda s: any(c.isalpha() for c in s) and s.strip()[0].isalpha())


def test_every_prefix_of_a_name_finds_the_patient(tmp_path: Path) -> None:
    with Database.open(tmp_path / "p.sqlite3", backup_on_start=False) as db:

        @settings(max_examples=60, deadline=None)
        @given(first=NAMES, last=NAMES, cut=st.integers(1, 24), use_last=st.booleans())
        def check(first: str, last: str, cut: int, use_last: bool) -> None:
            patient = db.create_patient(
                {"first_name": first, "last_name": last, "birth_date": "1990-01-01"}
            )
            name = (patient.last_name if use_last else patient.first_name)[:cut].strip()
            if not name or not name[-1].isalpha():
                return  # a dangling apostrophe or hyphen is not what anyone types
            for typed in (name, name.upper(), name.lower()):
                found = {p.id for p in db.search_patients(typed, limit=None)}
                assert patient.id in found, (typed, patient.first_name, patient.last_name)

        check()


FIELDS = st.lists(st.sampled_from(["<f8", "<i8", "<f4", ">i4", "u1", "?"]), min_size=1, max_size=5)


def test_any_chunking_round_trips_bit_exactly(tmp_path: Path) -> None:
    with Database.open(tmp_path / "r.sqlite3", backup_on_start=False) as db:
        patient = db.create_patient(
            {"first_name": "A", "last_name": "B", "birth_date": "1990-01-01"}
        )
        session = db.create_session(patient.id, "examiner")

        @settings(max_examples=40, deadline=None)
        @given(
            formats=FIELDS,
            sizes=st.lists(st.integers(0, 300), min_size=1, max_size=6),
            seed=st.integers(0, 2**32 - 1),
        )
        def check(formats: list[str], sizes: list[int], seed: int) -> None:
            dtype = np.dtype([(f"f{i}", fmt) for i, fmt in enumerate(formats)])
            raw = np.random.default_rng(seed).bytes(sum(sizes) * dtype.itemsize)
            samples = np.frombuffer(raw, dtype=dtype)
            trial = db.begin_trial(session, "lunge", "left")
            start = 0
            for size in sizes:
                db.append_recording_chunk(trial, "plate", samples[start : start + size])
                start += size
            loaded = db.load_recording(trial, "plate")
            if len(samples):
                assert loaded.dtype == dtype
                assert loaded.tobytes() == samples.tobytes()
            else:
                assert len(loaded) == 0

        check()
