"""Just enough ELF inspection for packaging: programs vs libraries, and system dependencies.

Pure Python for the header checks (used by the fast tests on synthetic trees); ``ldd`` for
resolving the shared libraries a bundle needs from the system.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
PT_INTERP = 3
_GLIBC_VERSION = re.compile(rb"GLIBC_(\d+)\.(\d+)(?:\.(\d+))?\x00")
_LDD_LINE = re.compile(r"^\s*(\S+)\s+=>\s+(\S+)")


def is_elf(path: Path) -> bool:
    """Whether ``path`` is a regular file that starts with the ELF magic number."""
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as handle:
        return handle.read(4) == ELF_MAGIC


def is_program(path: Path) -> bool:
    """Whether ``path`` is an ELF executable (it has a ``PT_INTERP`` program header).

    Shared libraries and Python extension modules have no interpreter entry and are not
    programs, even when their file mode says executable.
    """
    if not is_elf(path):
        return False
    data = path.read_bytes()[:65536]
    if len(data) < 64:
        return False
    elf_class, endian_flag = data[4], data[5]
    endian = "<" if endian_flag == 1 else ">"
    if elf_class == 2:  # 64-bit
        phoff = struct.unpack_from(endian + "Q", data, 0x20)[0]
        phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x36)
    elif elf_class == 1:  # 32-bit
        phoff = struct.unpack_from(endian + "I", data, 0x1C)[0]
        phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x2A)
    else:
        return False
    for index in range(phnum):
        offset = phoff + index * phentsize
        if offset + 4 > len(data):
            break
        if struct.unpack_from(endian + "I", data, offset)[0] == PT_INTERP:
            return True
    return False


def elf_files(root: Path) -> list[Path]:
    """Every ELF file below ``root`` (symbolic links not followed)."""
    return [path for path in sorted(root.rglob("*")) if is_elf(path)]


def external_libraries(bundle: Path) -> dict[str, str]:
    """Shared libraries (name -> system path) the bundle loads from the system.

    Runs ``ldd`` on every ELF file with the bundle's library folder on the search path,
    as PyInstaller's bootloader arranges at run time; a library counts as external when
    no file of that name is inside the bundle. A library the build machine lacks maps to
    an empty path.
    """
    bundled = {path.name for path in bundle.rglob("*")}
    internal = bundle / "_internal"
    env = dict(os.environ, LD_LIBRARY_PATH=str(internal if internal.is_dir() else bundle))
    external: dict[str, str] = {}
    for path in elf_files(bundle):
        result = subprocess.run(
            ["ldd", str(path)], capture_output=True, text=True, env=env, check=False
        )
        for line in result.stdout.splitlines():
            match = _LDD_LINE.match(line)
            if match is None:
                continue
            name, resolved = match.groups()
            if name in bundled:
                continue
            if resolved.startswith("/"):
                external[name] = resolved
            elif resolved == "not":  # "libfoo.so.1 => not found"
                external.setdefault(name, "")
    return external


def missing_libraries(bundle: Path) -> dict[str, list[str]]:
    """Libraries that ``ldd`` cannot find, per bundled ELF file (relative path -> names)."""
    internal = bundle / "_internal"
    env = dict(os.environ, LD_LIBRARY_PATH=str(internal if internal.is_dir() else bundle))
    missing: dict[str, list[str]] = {}
    for path in elf_files(bundle):
        result = subprocess.run(
            ["ldd", str(path)], capture_output=True, text=True, env=env, check=False
        )
        names = [
            line.split("=>")[0].strip()
            for line in result.stdout.splitlines()
            if "not found" in line
        ]
        if names:
            missing[path.relative_to(bundle).as_posix()] = names
    return missing


def max_glibc_version(root: Path) -> str | None:
    """The newest ``GLIBC_x.y`` symbol version any ELF file below ``root`` asks for."""
    newest: tuple[int, ...] = ()
    for path in elf_files(root):
        for match in _GLIBC_VERSION.finditer(path.read_bytes()):
            version = tuple(int(part) for part in match.groups() if part is not None)
            newest = max(newest, version)
    return ".".join(str(part) for part in newest) if newest else None
