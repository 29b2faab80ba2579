"""The single source of DorsiLab's version (read by packaging, the UI and every report)."""

__version__ = "0.1.0"
