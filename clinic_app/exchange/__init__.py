"""Import and export: recordings (BDS, CSV, C3D) and patient data (CSV, JSON, FHIR)."""
