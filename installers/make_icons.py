"""Render the application icon from its SVG source into every raster format the installers need.

Run from the repository root after editing ``clinic_app/resources/icons/dorsilab.svg``::

    python installers/make_icons.py

Writes, beside the SVG:

- ``dorsilab-<N>.png`` for N in :data:`PNG_SIZES` (hicolor theme sizes for Linux; the
  window icon),
- ``dorsilab.ico`` (Windows executable and installer; 16-256 px),
- ``dorsilab.icns`` (macOS ``.app`` bundle; 16-1024 px).

The SVG is rendered with Qt's own SVG renderer (the one the running app uses) and packed into
ICO/ICNS with Pillow, so the outputs are reproducible on any platform. The outputs are
committed: building an installer does not need Pillow.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ICON_DIR = Path(__file__).resolve().parent.parent / "clinic_app" / "resources" / "icons"
SVG = ICON_DIR / "dorsilab.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render_png(size: int) -> bytes:
    """The SVG rendered to a ``size`` x ``size`` px PNG with an alpha channel."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {SVG} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, b"PNG")
    return bytes(data.data())


def main() -> int:
    """Write the PNG, ICO and ICNS files; return the exit code."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication(sys.argv[:1])
    rendered = {n: render_png(n) for n in sorted({*PNG_SIZES, *ICO_SIZES, *ICNS_SIZES})}
    for size in PNG_SIZES:
        (ICON_DIR / f"dorsilab-{size}.png").write_bytes(rendered[size])
    images = {n: Image.open(io.BytesIO(png)).convert("RGBA") for n, png in rendered.items()}
    # Each size is drawn from the vector source, not downscaled from the largest bitmap.
    largest_ico = images[max(ICO_SIZES)]
    largest_ico.save(
        ICON_DIR / "dorsilab.ico",
        format="ICO",
        sizes=[(n, n) for n in ICO_SIZES],
        append_images=[images[n] for n in ICO_SIZES if n != max(ICO_SIZES)],
    )
    largest_icns = images[max(ICNS_SIZES)]
    largest_icns.save(
        ICON_DIR / "dorsilab.icns",
        format="ICNS",
        append_images=[images[n] for n in ICNS_SIZES if n != max(ICNS_SIZES)],
    )
    written = sorted(p.name for p in ICON_DIR.iterdir() if p.name != SVG.name)
    print(f"make_icons: wrote {', '.join(written)} in {ICON_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
