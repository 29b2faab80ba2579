"""The patient database (one SQLite file through sqlite-utils)."""
