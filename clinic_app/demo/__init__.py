"""Demo content: fictional runners' past visits, measured on simulated devices."""

from clinic_app.demo.history import SCRIPTS, seed_demo_history

__all__ = ["SCRIPTS", "seed_demo_history"]
