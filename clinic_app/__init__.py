"""DorsiLab: weight-bearing lunge test and single-leg balance assessment for runners.

Packages
--------
drivers (top level)
    Device I/O: codecs, devices, simulators, emulators. Imports nothing from here.
clinic_app.analysis, .protocols, .plan, .storage, .reports, .exchange
    The Qt-free domain. Runs headless (CLI, tests, benchmarks).
clinic_app.ui
    Everything that imports PySide6 or pyqtgraph.
"""

from clinic_app._version import __version__

__all__ = ["__version__"]
