"""The plan editor and the report/handout preview."""
