"""PDF documents: clinician report and patient handout (reportlab)."""
