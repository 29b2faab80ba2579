"""The Linux package's own files: desktop entry, udev rule, maintainer scripts, control."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from installers import filechecks
from tests.conftest import REPO_ROOT

LINUX = REPO_ROOT / "installers" / "linux"
ICONS = REPO_ROOT / "clinic_app" / "resources" / "icons"


def _tree_with_desktop_entry(root: Path, desktop_text: str) -> Path:
    """A minimal package tree holding the desktop entry, the program link and icons."""
    entry = root / "usr/share/applications/org.dorsilab.DorsiLab.desktop"
    entry.parent.mkdir(parents=True)
    entry.write_text(desktop_text, encoding="utf-8")
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/clinic-app").symlink_to("/opt/dorsilab/clinic-app")
    for size in filechecks.HICOLOR_SIZES:
        icon = root / f"usr/share/icons/hicolor/{size}x{size}/apps/dorsilab.png"
        icon.parent.mkdir(parents=True)
        shutil.copyfile(ICONS / f"dorsilab-{size}.png", icon)
    return entry


def test_shipped_desktop_entry_is_valid(tmp_path: Path) -> None:
    text = (LINUX / "org.dorsilab.DorsiLab.desktop").read_text(encoding="utf-8")
    entry = _tree_with_desktop_entry(tmp_path, text)
    assert filechecks.check_desktop_entry(entry, tmp_path) == []


def test_desktop_entry_problems_are_named(tmp_path: Path) -> None:
    text = (LINUX / "org.dorsilab.DorsiLab.desktop").read_text(encoding="utf-8")
    broken = text.replace("Exec=clinic-app", "Exec=dorsilab-gui").replace(
        "Icon=dorsilab", "Icon=no-such-icon"
    )
    entry = _tree_with_desktop_entry(tmp_path, broken.replace("Categories=", "X-Old="))
    problems = "\n".join(filechecks.check_desktop_entry(entry, tmp_path))
    assert "Exec program 'dorsilab-gui' is not installed" in problems
    assert "Icon 'no-such-icon' has no file" in problems
    assert "no Categories=" in problems


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils")
def test_desktop_file_validate_accepts_the_entry() -> None:
    result = subprocess.run(
        ["desktop-file-validate", str(LINUX / "org.dorsilab.DorsiLab.desktop")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_udev_rule_covers_every_adapter_with_dialout_access() -> None:
    assert filechecks.check_udev_rules(LINUX / "60-dorsilab-serial.rules") == []
    text = (LINUX / "60-dorsilab-serial.rules").read_text(encoding="utf-8")
    rules = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert len(rules) == 3
    for line in rules:
        pairs = filechecks.parse_udev_rule(line)
        assert ("TAG", "+=", "uaccess") in pairs


def test_udev_rule_problems_are_named(tmp_path: Path) -> None:
    text = (LINUX / "60-dorsilab-serial.rules").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if "0403" not in line]  # drop FTDI
    lines = [line.replace('MODE="0660"', 'MODE="0666"') for line in lines]
    lines.append('SUBSYSTEM=="tty", ATTRS{idVendor}=="dead" MODE="0660"')  # missing comma
    rule = tmp_path / "60-dorsilab-serial.rules"
    rule.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = "\n".join(filechecks.check_udev_rules(rule))
    assert "no rule for FTDI 0403:6001" in problems
    assert 'must set MODE="0660", GROUP="dialout"' in problems
    assert f"{rule.name}:{len(lines)}: cannot parse" in problems


def test_udev_rule_sorts_before_logind_uaccess_processing() -> None:
    # TAG+="uaccess" only takes effect in rules files that sort before 73-seat-late.rules.
    assert (LINUX / "60-dorsilab-serial.rules").name < "73-seat-late.rules"


@pytest.mark.parametrize("script", ["postinst", "postrm"])
def test_maintainer_scripts_are_posix_shell(script: str) -> None:
    path = LINUX / script
    assert path.read_text(encoding="utf-8").startswith("#!/bin/sh\n")
    assert subprocess.run(["sh", "-n", str(path)], check=False).returncode == 0


def test_postinst_reloads_udev_and_never_changes_groups_by_itself() -> None:
    text = (LINUX / "postinst").read_text(encoding="utf-8")
    assert "udevadm control --reload-rules" in text
    assert "usermod" not in text.replace("sudo usermod -aG dialout", "")


def test_control_template_fills_to_a_valid_paragraph(tmp_path: Path) -> None:
    text = (LINUX / "control.in").read_text(encoding="utf-8")
    filled = (
        text.replace("@VERSION@", "1.2.3")
        .replace("@ARCH@", "amd64")
        .replace("@INSTALLED_SIZE@", "1024")
        .replace("@DEPENDS@", "libc6 (>= 2.36), libgl1")
    )
    control = tmp_path / "control"
    control.write_text(filled, encoding="utf-8")
    assert filechecks.check_control(control, "1.2.3") == []
    assert "Version is '1.2.3', expected '9.9'" in "\n".join(
        filechecks.check_control(control, "9.9")
    )
    control.write_text(text, encoding="utf-8")
    assert any("placeholder" in p for p in filechecks.check_control(control, "@VERSION@"))
