"""The Qt user interface. The only package that may import PySide6 or pyqtgraph."""
