"""Build DorsiLab's Debian package from the PyInstaller bundle, and check a package's contents.

Layout of the package (``dorsilab_<version>_<arch>.deb``)::

    /opt/dorsilab/                       the one-folder bundle (clinic-app + _internal/)
    /usr/bin/clinic-app                  -> /opt/dorsilab/clinic-app
    /usr/share/applications/org.dorsilab.DorsiLab.desktop
    /usr/share/icons/hicolor/<N>x<N>/apps/dorsilab.png, scalable/apps/dorsilab.svg
    /usr/lib/udev/rules.d/60-dorsilab-serial.rules
    /usr/share/doc/dorsilab/copyright

Permissions follow Debian policy: directories and programs 0755, everything else 0644
(shared libraries included), owned by root.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from installers import elfinfo, filechecks

REPO = Path(__file__).resolve().parent.parent
LINUX = REPO / "installers" / "linux"
ICONS = REPO / "clinic_app" / "resources" / "icons"
PACKAGE = "dorsilab"
INSTALL_DIR = "opt/dorsilab"
PROGRAM = "clinic-app"
DESKTOP_FILE = "org.dorsilab.DorsiLab.desktop"
UDEV_RULE = "60-dorsilab-serial.rules"
ICON_NAME = "dorsilab"
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
# Always needed although no bundled binary links them directly: Qt loads the D-Bus library
# at run time, and the GLX/EGL vendor libraries come from the system's GL driver.
BASE_DEPENDS = ("libdbus-1-3", "libgl1", "libegl1")
# Libraries PyInstaller never bundles (they belong to the display and graphics stack) with
# the Debian package that provides each, for when the build machine lacks one of them.
SYSTEM_LIBRARY_PACKAGES = {
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libxcb.so.1": "libxcb1",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libdrm.so.2": "libdrm2",
}


def deb_architecture() -> str:
    """This machine's Debian architecture name (``amd64``, ``arm64``...)."""
    out = subprocess.run(
        ["dpkg", "--print-architecture"], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def system_depends(bundle: Path) -> list[str]:
    """Debian packages providing the system libraries the bundle links but does not carry.

    PyInstaller leaves out the C library, the GL/EGL drivers and a few others on purpose;
    each such library is mapped to its package with ``dpkg -S`` on the build machine, and
    the C library gets a minimum version from the newest ``GLIBC_x.y`` symbol version the
    bundle uses.
    """
    external = elfinfo.external_libraries(bundle)
    packages: set[str] = set(BASE_DEPENDS)
    for name, path in sorted(external.items()):
        owner = _dpkg_owner(path) if path else SYSTEM_LIBRARY_PACKAGES.get(name)
        if owner is None:
            raise RuntimeError(
                f"no Debian package is known for {name} (needed by the bundle); install it "
                "on the build machine or add it to debpkg.SYSTEM_LIBRARY_PACKAGES"
            )
        packages.add(owner)
    glibc = elfinfo.max_glibc_version(bundle)
    depends = []
    for package in sorted(packages):
        if package == "libc6" and glibc:
            depends.append(f"libc6 (>= {glibc})")
        else:
            depends.append(package)
    if "libc6" not in packages:
        depends.insert(0, f"libc6 (>= {glibc})" if glibc else "libc6")
    return depends


def _dpkg_owner(path: str) -> str | None:
    for candidate in {path, str(Path(path).resolve())}:
        result = subprocess.run(
            ["dpkg", "-S", candidate], capture_output=True, text=True, check=False
        )
        if result.returncode == 0 and ":" in result.stdout:
            name = result.stdout.split(":", 1)[0].strip()
            return name.split(",")[0].strip()
    return None


def stage(bundle: Path, staging: Path, version: str, arch: str) -> Path:
    """Lay out the package tree for ``bundle`` under ``staging`` and return it."""
    if staging.exists():
        shutil.rmtree(staging)
    opt = staging / INSTALL_DIR
    opt.parent.mkdir(parents=True)
    shutil.copytree(bundle, opt, symlinks=True)

    usr_bin = staging / "usr" / "bin"
    usr_bin.mkdir(parents=True)
    (usr_bin / PROGRAM).symlink_to(f"/{INSTALL_DIR}/{PROGRAM}")

    _copy(LINUX / DESKTOP_FILE, staging / "usr/share/applications" / DESKTOP_FILE)
    for size in HICOLOR_SIZES:
        _copy(
            ICONS / f"dorsilab-{size}.png",
            staging / f"usr/share/icons/hicolor/{size}x{size}/apps/{ICON_NAME}.png",
        )
    _copy(
        ICONS / "dorsilab.svg", staging / f"usr/share/icons/hicolor/scalable/apps/{ICON_NAME}.svg"
    )
    _copy(LINUX / UDEV_RULE, staging / "usr/lib/udev/rules.d" / UDEV_RULE)
    _copy(LINUX / "copyright", staging / "usr/share/doc" / PACKAGE / "copyright")

    debian = staging / "DEBIAN"
    debian.mkdir()
    for script in ("postinst", "postrm"):
        _copy(LINUX / script, debian / script)
    filechecks.normalise_modes(staging)

    control = (LINUX / "control.in").read_text(encoding="utf-8")
    fields = {
        "@VERSION@": version,
        "@ARCH@": arch,
        "@INSTALLED_SIZE@": str(_installed_size_kib(staging)),
        "@DEPENDS@": ", ".join(system_depends(bundle)),
    }
    for placeholder, value in fields.items():
        control = control.replace(placeholder, value)
    (debian / "control").write_text(control, encoding="utf-8")
    (debian / "control").chmod(0o644)
    return staging


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def _installed_size_kib(root: Path) -> int:
    total = 0
    for path in root.rglob("*"):
        if "DEBIAN" in path.relative_to(root).parts[:1]:
            continue
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return (total + 1023) // 1024


def build(staging: Path, output: Path) -> Path:
    """Pack the staged tree with ``dpkg-deb`` (root-owned, xz) into ``output``."""
    output.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(staging), str(output)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return output


def check_deb(deb: Path, version: str, expected_data: list[str]) -> list[str]:
    """Problems with a built ``.deb`` (an empty list when it is correct).

    Extracts the package with ``dpkg-deb -R`` and checks the tree with
    :func:`filechecks.check_tree`; also checks that every member of the archive is owned
    by root and that ``dpkg-deb`` itself accepts the control data.
    """
    problems: list[str] = []
    listing = subprocess.run(
        ["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        return [f"dpkg-deb --contents failed: {listing.stderr.strip()}"]
    for line in listing.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[1] != "root/root":
            problems.append(f"{fields[5]}: owned by {fields[1]}, not root/root")
    info = subprocess.run(
        ["dpkg-deb", "--field", str(deb), "Package", "Version"],
        capture_output=True,
        text=True,
        check=False,
    )
    if info.returncode != 0:
        problems.append(f"dpkg-deb --field failed: {info.stderr.strip()}")
    with tempfile.TemporaryDirectory(prefix="dorsilab-deb-") as tmp:
        root = Path(tmp) / "root"
        subprocess.run(["dpkg-deb", "-R", str(deb), str(root)], check=True)
        problems += filechecks.check_tree(root, version, expected_data)
    return problems
