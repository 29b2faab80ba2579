"""Checks of an unpacked DorsiLab Debian package tree (used on real and synthetic trees).

Every check returns a list of problems, each one line naming the file and what is wrong;
an empty list means the tree is correct.
"""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

from installers import elfinfo

MAINTAINER_SCRIPTS = frozenset({"preinst", "postinst", "prerm", "postrm", "config"})
REQUIRED_CONTROL_FIELDS = (
    "Package",
    "Version",
    "Architecture",
    "Maintainer",
    "Installed-Size",
    "Depends",
    "Description",
)
# USB-serial bridges of the supported instruments: (vendor id, product id), lower-case hex.
SERIAL_ADAPTERS = {("1a86", "7523"): "CH340", ("10c4", "ea60"): "CP210x", ("0403", "6001"): "FTDI"}
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
_UDEV_PAIR = re.compile(r'\s*([A-Za-z_]+(?:\{[^}]*\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*')


def wants_exec_bit(path: Path, root: Path) -> bool:
    """Whether a file in the package tree should be 0755 (programs, maintainer scripts)."""
    relative = path.relative_to(root).parts
    if relative[0] == "DEBIAN":
        return relative[-1] in MAINTAINER_SCRIPTS
    return elfinfo.is_program(path)


def normalise_modes(root: Path) -> None:
    """Set Debian policy modes under ``root``: 0755 directories and programs, 0644 the rest."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
        else:
            path.chmod(0o755 if wants_exec_bit(path, root) else 0o644)


def check_modes(root: Path) -> list[str]:
    """Problems with file modes: anything but 0755 dirs/programs and 0644 files."""
    problems = []
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        name = path.relative_to(root).as_posix() or "."
        mode = stat.S_IMODE(path.lstat().st_mode)
        expected = 0o755 if path.is_dir() or wants_exec_bit(path, root) else 0o644
        if mode != expected:
            problems.append(f"{name}: mode {mode:04o}, expected {expected:04o}")
    return problems


def parse_control(text: str) -> dict[str, str]:
    """Fields of a Debian control paragraph (continuation lines joined with newlines)."""
    fields: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and current is not None:
            fields[current] += "\n" + line.strip()
        elif ":" in line:
            current, value = line.split(":", 1)
            fields[current] = value.strip()
    return fields


def check_control(path: Path, version: str) -> list[str]:
    """Problems with ``DEBIAN/control``: required fields, name, version, dependencies."""
    if not path.is_file():
        return [f"{path.name}: missing"]
    fields = parse_control(path.read_text(encoding="utf-8"))
    problems = [
        f"control: no {name} field" for name in REQUIRED_CONTROL_FIELDS if not fields.get(name)
    ]
    if fields.get("Package") != "dorsilab":
        problems.append(f"control: Package is {fields.get('Package')!r}, expected 'dorsilab'")
    if fields.get("Version") != version:
        problems.append(f"control: Version is {fields.get('Version')!r}, expected {version!r}")
    if "@" in "".join(fields.get(name, "@") for name in ("Version", "Architecture", "Depends")):
        problems.append("control: a template placeholder (@...@) was not filled in")
    if not fields.get("Installed-Size", "").isdigit():
        problems.append("control: Installed-Size is not a whole number of KiB")
    if "libc6" not in fields.get("Depends", ""):
        problems.append("control: Depends does not name libc6")
    return problems


def check_desktop_entry(path: Path, root: Path) -> list[str]:
    """Problems with the desktop entry: keys, Exec on the PATH, icon in hicolor, validator."""
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    if not path.is_file():
        return [f"{name}: missing"]
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0] != "[Desktop Entry]":
        return [f"{name}: first line is not [Desktop Entry]"]
    entry = dict(line.split("=", 1) for line in lines[1:] if "=" in line and line[:1] != "#")
    problems = [
        f"{name}: no {key}="
        for key in ("Type", "Name", "Exec", "Icon", "Categories")
        if not entry.get(key)
    ]
    if entry.get("Type") != "Application":
        problems.append(f"{name}: Type is {entry.get('Type')!r}, expected Application")
    program = entry.get("Exec", "").split(" ")[0]
    if (
        program
        and not (root / "usr/bin" / program).is_symlink()
        and not (root / program.lstrip("/")).exists()
    ):
        problems.append(f"{name}: Exec program {program!r} is not installed by the package")
    icon = entry.get("Icon", "")
    if icon and not any((root / "usr/share/icons/hicolor").glob(f"*/apps/{icon}.*")):
        problems.append(f"{name}: Icon {icon!r} has no file in usr/share/icons/hicolor")
    if entry.get("Categories") and not entry["Categories"].endswith(";"):
        problems.append(f"{name}: Categories must end with ';'")
    validator = shutil.which("desktop-file-validate")
    if validator is not None:
        result = subprocess.run(
            [validator, str(path)], capture_output=True, text=True, check=False
        )
        for line in (result.stdout + result.stderr).splitlines():
            if "error" in line.lower() or result.returncode != 0:
                problems.append(f"{name}: desktop-file-validate: {line.strip()}")
    return problems


def parse_udev_rule(line: str) -> list[tuple[str, str, str]]:
    """``(key, operator, value)`` triples of one udev rule line, or ``ValueError``."""
    pairs = []
    for part in line.split(","):
        match = _UDEV_PAIR.fullmatch(part)
        if match is None:
            raise ValueError(f"cannot parse {part.strip()!r}")
        pairs.append((match.group(1), match.group(2), match.group(3)))
    return pairs


def check_udev_rules(path: Path) -> list[str]:
    """Problems with the serial-port udev rule: syntax and the adapters it must cover."""
    if not path.is_file():
        return [f"{path.name}: missing"]
    problems = []
    covered = set()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            pairs = parse_udev_rule(line)
        except ValueError as exc:
            problems.append(f"{path.name}:{number}: {exc}")
            continue
        rule = {key: (op, value) for key, op, value in pairs}
        vid, pid = (
            rule.get("ATTRS{idVendor}", ("", ""))[1],
            rule.get("ATTRS{idProduct}", ("", ""))[1],
        )
        if rule.get("SUBSYSTEM") != ("==", "tty"):
            problems.append(f'{path.name}:{number}: must match SUBSYSTEM=="tty"')
        if rule.get("MODE") != ("=", "0660") or rule.get("GROUP") != ("=", "dialout"):
            problems.append(f'{path.name}:{number}: must set MODE="0660", GROUP="dialout"')
        covered.add((vid.lower(), pid.lower()))
    for (vid, pid), chip in SERIAL_ADAPTERS.items():
        if (vid, pid) not in covered:
            problems.append(f"{path.name}: no rule for {chip} {vid}:{pid}")
    return problems


def png_size(path: Path) -> tuple[int, int] | None:
    """Width and height of a PNG file from its header, or ``None`` if it is not a PNG."""
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def check_icons(root: Path, icon: str = "dorsilab") -> list[str]:
    """Problems with the hicolor icons: every size present, PNGs of the size they claim."""
    problems = []
    hicolor = root / "usr/share/icons/hicolor"
    for size in HICOLOR_SIZES:
        path = hicolor / f"{size}x{size}/apps/{icon}.png"
        if not path.is_file():
            problems.append(f"{path.relative_to(root)}: missing")
        elif png_size(path) != (size, size):
            problems.append(
                f"{path.relative_to(root)}: is {png_size(path)}, not {size}x{size} PNG"
            )
    if not (hicolor / f"scalable/apps/{icon}.svg").is_file():
        problems.append(f"usr/share/icons/hicolor/scalable/apps/{icon}.svg: missing")
    return problems


def check_tree(root: Path, version: str, expected_data: list[str]) -> list[str]:
    """All problems of an unpacked package tree rooted at ``root``.

    ``expected_data`` lists the bundle-relative paths (``_internal/clinic_app/...``) of
    package data that must be inside ``/opt/dorsilab``.
    """
    problems = check_control(root / "DEBIAN/control", version)
    for script in ("postinst", "postrm"):
        path = root / "DEBIAN" / script
        if not path.is_file():
            problems.append(f"DEBIAN/{script}: missing")
            continue
        if not path.read_text(encoding="utf-8").startswith("#!/bin/sh"):
            problems.append(f"DEBIAN/{script}: does not start with #!/bin/sh")
        syntax = subprocess.run(
            ["sh", "-n", str(path)], capture_output=True, text=True, check=False
        )
        if syntax.returncode != 0:
            problems.append(f"DEBIAN/{script}: shell syntax error: {syntax.stderr.strip()}")
    program = root / "opt/dorsilab/clinic-app"
    if not elfinfo.is_program(program):
        problems.append("opt/dorsilab/clinic-app: missing or not an ELF program")
    link = root / "usr/bin/clinic-app"
    if not link.is_symlink() or str(link.readlink()) != "/opt/dorsilab/clinic-app":
        problems.append("usr/bin/clinic-app: not a symbolic link to /opt/dorsilab/clinic-app")
    problems += check_desktop_entry(
        root / "usr/share/applications/org.dorsilab.DorsiLab.desktop", root
    )
    problems += check_icons(root)
    problems += check_udev_rules(root / "usr/lib/udev/rules.d/60-dorsilab-serial.rules")
    if not (root / "usr/share/doc/dorsilab/copyright").is_file():
        problems.append("usr/share/doc/dorsilab/copyright: missing")
    for relative in expected_data:
        if not (root / "opt/dorsilab" / relative).is_file():
            problems.append(f"opt/dorsilab/{relative}: missing (package data)")
    problems += check_modes(root)
    for path in root.rglob("*"):
        if not path.is_symlink() and stat.S_IMODE(path.lstat().st_mode) & (
            stat.S_ISUID | stat.S_ISGID | stat.S_IWOTH
        ):
            problems.append(f"{path.relative_to(root)}: setuid, setgid or world-writable")
    return problems
