"""Fictional demo patients for ``--demo`` (no real person is described).

:func:`seed_demo_patients` adds a dozen-plus runners of varied age, sex, side and running
background, with non-ASCII names so every screen and PDF is exercised with é, ñ, ü, ø and
中文. It is idempotent: patients are keyed by their ``DEMO-…`` record numbers, so running
it again adds nothing. Sessions and recordings are added by the workflow's own demo code.
"""

from __future__ import annotations

import logging
from typing import Any

from clinic_app.storage.database import Database

log = logging.getLogger(__name__)

DEMO_PREFIX = "DEMO-"

_DEMO: tuple[dict[str, Any], ...] = (
    {
        "number": "001",
        "first_name": "Amélie",
        "last_name": "Durand",
        "birth_date": "1991-03-14",
        "sex": "female",
        "height_cm": 166.0,
        "mass_kg": 57.5,
        "dominant_leg": "right",
        "involved_side": "left",
        "weekly_km": 45.0,
        "years_running": 8.0,
        "notes": "Marathon build; left Achilles stiffness in the mornings.",
    },
    {
        "number": "002",
        "first_name": "Íñigo",
        "last_name": "Martínez Peña",
        "birth_date": "1984-11-02",
        "sex": "male",
        "height_cm": 178.0,
        "mass_kg": 74.0,
        "dominant_leg": "right",
        "involved_side": "right",
        "weekly_km": 60.0,
        "years_running": 15.0,
        "notes": "Trail runner, previous right ankle sprains.",
    },
    {
        "number": "003",
        "first_name": "Jürgen",
        "last_name": "Müller",
        "birth_date": "1968-07-23",
        "sex": "male",
        "height_cm": 182.0,
        "mass_kg": 83.5,
        "dominant_leg": "left",
        "involved_side": "both",
        "weekly_km": 25.0,
        "years_running": 30.0,
        "notes": "Returning after calf strain.",
    },
    {
        "number": "004",
        "first_name": "小明",
        "last_name": "王",
        "birth_date": "1999-05-09",
        "sex": "male",
        "height_cm": 172.0,
        "mass_kg": 63.0,
        "dominant_leg": "right",
        "involved_side": "left",
        "weekly_km": 35.0,
        "years_running": 4.0,
        "notes": "University 5 km runner.",
    },
    {
        "number": "005",
        "first_name": "Siobhán",
        "last_name": "O'Connor",
        "birth_date": "2006-01-30",
        "sex": "female",
        "height_cm": 161.0,
        "mass_kg": 50.0,
        "dominant_leg": "right",
        "involved_side": "right",
        "weekly_km": 30.0,
        "years_running": 3.0,
        "notes": "Cross-country; shin pain after track sessions.",
    },
    {
        "number": "006",
        "first_name": "Kwame",
        "last_name": "Mensah",
        "birth_date": "1979-09-17",
        "sex": "male",
        "height_cm": 185.0,
        "mass_kg": 79.0,
        "dominant_leg": "right",
        "involved_side": "none",
        "weekly_km": 80.0,
        "years_running": 20.0,
        "notes": "Screening before ultra season.",
    },
    {
        "number": "007",
        "first_name": "Priya",
        "last_name": "Raman",
        "birth_date": "1988-12-05",
        "sex": "female",
        "height_cm": 158.0,
        "mass_kg": 52.0,
        "dominant_leg": "left",
        "involved_side": "left",
        "weekly_km": 20.0,
        "years_running": 2.0,
        "notes": "New runner, couch-to-10k.",
    },
    {
        "number": "008",
        "first_name": "Ingrid",
        "last_name": "Sørensen",
        "birth_date": "1955-04-21",
        "sex": "female",
        "height_cm": 169.0,
        "mass_kg": 61.0,
        "dominant_leg": "right",
        "involved_side": "both",
        "weekly_km": 15.0,
        "years_running": 40.0,
        "notes": "Masters runner, reduced ankle range both sides.",
    },
    {
        "number": "009",
        "first_name": "Mateus",
        "last_name": "Gonçalves",
        "birth_date": "1995-08-11",
        "sex": "male",
        "height_cm": 176.0,
        "mass_kg": 70.0,
        "dominant_leg": "right",
        "involved_side": "right",
        "weekly_km": 50.0,
        "years_running": 9.0,
        "notes": "Post-operative right ankle (6 months).",
    },
    {
        "number": "010",
        "first_name": "Zoë",
        "last_name": "Quattlebaum",
        "birth_date": "2001-02-28",
        "sex": "female",
        "height_cm": 171.0,
        "mass_kg": 59.0,
        "dominant_leg": "left",
        "involved_side": "right",
        "weekly_km": 40.0,
        "years_running": 6.0,
        "notes": "Plantar heel pain on the right.",
    },
    {
        "number": "011",
        "first_name": "Noa",
        "last_name": "Ben-David",
        "birth_date": "1993-06-03",
        "sex": "other",
        "height_cm": 168.0,
        "mass_kg": 62.0,
        "dominant_leg": "right",
        "involved_side": "left",
        "weekly_km": 28.0,
        "years_running": 5.0,
        "notes": "",
    },
    {
        "number": "012",
        "first_name": "Chloé",
        "last_name": "Lefèvre",
        "birth_date": "1974-10-19",
        "sex": "female",
        "height_cm": 163.0,
        "mass_kg": 55.0,
        "dominant_leg": "right",
        "involved_side": "none",
        "weekly_km": 55.0,
        "years_running": 25.0,
        "notes": "Balance check after a fall on ice.",
    },
    {
        "number": "013",
        "first_name": "Yuki",
        "last_name": "Tanaka",
        "birth_date": "2010-03-08",
        "sex": "male",
        "height_cm": 150.0,
        "mass_kg": 40.0,
        "dominant_leg": "right",
        "involved_side": "left",
        "weekly_km": 12.0,
        "years_running": 2.0,
        "notes": "Junior track athlete.",
    },
    {
        "number": "014",
        "first_name": "José",
        "last_name": "Núñez",
        "birth_date": "1962-12-24",
        "sex": "male",
        "height_cm": 170.0,
        "mass_kg": 77.0,
        "dominant_leg": "left",
        "involved_side": "right",
        "weekly_km": 18.0,
        "years_running": 12.0,
        "notes": "Walk-run programme.",
    },
    {
        "number": "015",
        "first_name": "Aoife",
        "last_name": "Ní Bhriain",
        "birth_date": "1986-07-07",
        "sex": "unspecified",
        "height_cm": 165.0,
        "mass_kg": 60.0,
        "dominant_leg": "unknown",
        "involved_side": "left",
        "weekly_km": 32.0,
        "years_running": 10.0,
        "notes": "",
    },
)


def demo_record_numbers() -> list[str]:
    """The record numbers of the demo patients."""
    return [DEMO_PREFIX + row["number"] for row in _DEMO]


def seed_demo_patients(db: Database) -> list[int]:
    """Add the fictional demo patients that are not there yet; return all their ids.

    Returns
    -------
    list of int
        Ids of every demo patient, in the order of the demo list (also those that
        already existed).
    """
    ids: list[int] = []
    created = 0
    with db.transaction():
        for row in _DEMO:
            record_number = DEMO_PREFIX + row["number"]
            existing = db.record_number_owner(record_number)
            if existing is not None:
                ids.append(existing)
                continue
            fields = {k: v for k, v in row.items() if k != "number"}
            patient = db.create_patient({**fields, "record_number": record_number})
            ids.append(patient.id)
            created += 1
    log.info("demo patients seeded: %d new, %d in total", created, len(ids))
    return ids
