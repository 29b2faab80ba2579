"""Build tooling for DorsiLab's installers (not shipped in the application)."""
