"""The .deb staging and content checker on a small synthetic bundle (a real ELF program)."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from installers import debpkg, elfinfo, filechecks

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("dpkg-deb") is None,
    reason="Debian packaging needs Linux with dpkg",
)

VERSION = "9.8.7"
# Any small shared library owned by a Debian package stands in for the bundle's libraries.
ZLIB = next(
    iter(sorted(Path("/usr/lib").glob("*/libz.so.1")) + sorted(Path("/lib").glob("*/libz.so.1"))),
    None,
)
DATA = ["_internal/clinic_app/resources/norms.toml", "_internal/drivers/PROTOCOL.md"]


def _synthetic_bundle(root: Path) -> Path:
    """A one-folder bundle: a real ELF program, a shared library, package data, a symlink."""
    bundle = root / "dorsilab"
    internal = bundle / "_internal"
    internal.mkdir(parents=True)
    shutil.copyfile("/bin/true", bundle / "clinic-app")
    (bundle / "clinic-app").chmod(0o700)
    if ZLIB is None:
        pytest.skip("no libz.so.1 on this machine")
    shutil.copyfile(ZLIB, internal / "libexample.so.1")
    (internal / "libexample.so.1").chmod(0o775)  # wheels often ship libraries executable
    (internal / "libexample.so").symlink_to("libexample.so.1")
    for relative in DATA:
        path = bundle / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n", encoding="utf-8")
        path.chmod(0o600)
    return bundle


@pytest.fixture
def staged(tmp_path: Path) -> Path:
    bundle = _synthetic_bundle(tmp_path)
    return debpkg.stage(bundle, tmp_path / "staging", VERSION, debpkg.deb_architecture())


def test_staged_tree_passes_every_check(staged: Path) -> None:
    assert filechecks.check_tree(staged, VERSION, DATA) == []


def test_staging_sets_policy_modes(staged: Path) -> None:
    def mode(relative: str) -> int:
        return stat.S_IMODE((staged / relative).lstat().st_mode)

    assert mode("opt/dorsilab/clinic-app") == 0o755
    assert mode("opt/dorsilab/_internal/libexample.so.1") == 0o644
    assert mode("opt/dorsilab/_internal/clinic_app/resources/norms.toml") == 0o644
    assert mode("opt/dorsilab/_internal") == 0o755
    assert mode("DEBIAN/postinst") == 0o755
    assert mode("DEBIAN/control") == 0o644
    assert (staged / "usr/bin/clinic-app").readlink() == Path("/opt/dorsilab/clinic-app")


def test_control_depends_on_the_c_library_with_a_minimum_version(staged: Path) -> None:
    fields = filechecks.parse_control((staged / "DEBIAN/control").read_text(encoding="utf-8"))
    assert fields["Version"] == VERSION
    assert "libc6 (>= 2." in fields["Depends"]
    assert int(fields["Installed-Size"]) > 0


def test_checker_names_each_defect(staged: Path) -> None:
    (staged / "opt/dorsilab/_internal/drivers/PROTOCOL.md").unlink()
    (staged / "opt/dorsilab/_internal/libexample.so.1").chmod(0o666)
    (staged / "opt/dorsilab/clinic-app").chmod(0o644)
    (staged / "usr/bin/clinic-app").unlink()
    (staged / "usr/share/icons/hicolor/48x48/apps/dorsilab.png").write_bytes(
        (staged / "usr/share/icons/hicolor/16x16/apps/dorsilab.png").read_bytes()
    )
    problems = "\n".join(filechecks.check_tree(staged, "1.0.0", DATA))
    assert "opt/dorsilab/_internal/drivers/PROTOCOL.md: missing (package data)" in problems
    assert "opt/dorsilab/_internal/libexample.so.1: mode 0666, expected 0644" in problems
    assert "opt/dorsilab/clinic-app: mode 0644, expected 0755" in problems
    assert "usr/bin/clinic-app: not a symbolic link" in problems
    assert "48x48/apps/dorsilab.png: is (16, 16), not 48x48 PNG" in problems
    assert "Version is '9.8.7', expected '1.0.0'" in problems
    assert "setuid, setgid or world-writable" in problems


def test_built_deb_is_root_owned_and_checks_clean(staged: Path, tmp_path: Path) -> None:
    deb = debpkg.build(staged, tmp_path / "out" / f"dorsilab_{VERSION}.deb")
    assert debpkg.check_deb(deb, VERSION, DATA) == []
    listing = subprocess.run(
        ["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    assert "./usr/lib/udev/rules.d/60-dorsilab-serial.rules" in listing
    assert "./usr/bin/clinic-app -> /opt/dorsilab/clinic-app" in listing


def test_elf_programs_are_told_from_libraries(tmp_path: Path) -> None:
    bundle = _synthetic_bundle(tmp_path)
    assert elfinfo.is_program(bundle / "clinic-app")
    assert not elfinfo.is_program(bundle / "_internal/libexample.so.1")
    assert "libc.so.6" in elfinfo.external_libraries(bundle)
    text = tmp_path / "script.sh"
    text.write_text("#!/bin/sh\n", encoding="utf-8")
    assert not elfinfo.is_program(text)
    assert elfinfo.max_glibc_version(tmp_path) is not None
