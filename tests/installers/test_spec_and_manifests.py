"""The PyInstaller spec, package-data manifest, Windows and macOS installer sources, the icon."""

from __future__ import annotations

import ast
import plistlib
import re
import struct
import tomllib
from pathlib import Path

from PySide6.QtSvg import QSvgRenderer

from installers import build, manifest
from tests.conftest import REPO_ROOT

INSTALLERS = REPO_ROOT / "installers"
ICONS = REPO_ROOT / "clinic_app" / "resources" / "icons"
SPEC = INSTALLERS / "dorsilab.spec"


def _spec_tree() -> ast.Module:
    return ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def _excluded_qt_modules() -> set[str]:
    for node in ast.walk(_spec_tree()):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "UNUSED_QT_MODULES" for t in node.targets
        ):
            return {
                const.value
                for const in ast.walk(node.value)
                if isinstance(const, ast.Constant)
                and isinstance(const.value, str)
                and const.value.startswith("Qt")
            }
    raise AssertionError("UNUSED_QT_MODULES not found in the spec")


def test_spec_is_valid_python_and_names_both_entry_scripts() -> None:
    text = SPEC.read_text(encoding="utf-8")
    compile(text, str(SPEC), "exec")
    for script in ("entry_clinic_app.py", "entry_dorsilab.py"):
        assert script in text
        compile((INSTALLERS / script).read_text(encoding="utf-8"), script, "exec")
    assert 'CONSOLE_NAME = "clinic-app"' in text
    assert 'BUNDLE_NAME = "dorsilab"' in text


def test_no_qt_module_used_by_the_app_is_excluded_from_the_bundle() -> None:
    excluded = _excluded_qt_modules()
    assert {"QtQml", "QtQuick", "QtWebEngineCore", "QtDesigner"} <= excluded
    used = set()
    pattern = re.compile(r"\bPySide6\.(Qt\w+)|from PySide6 import ([\w, ()\n]+)")
    for path in (REPO_ROOT / "clinic_app").rglob("*.py"):
        for dotted, imported in pattern.findall(path.read_text(encoding="utf-8")):
            used.add(dotted) if dotted else used.update(re.findall(r"Qt\w+", imported))
    assert used, "no PySide6 import found under clinic_app"
    assert not used & excluded, f"spec excludes Qt modules the app imports: {used & excluded}"


def test_spec_bundles_the_compiled_codec_module() -> None:
    """Found on disk only as ``.so``/``.pyd``, which ``modules_under`` does not list."""
    assert '"drivers.codecs._lineplate_c"' in SPEC.read_text(encoding="utf-8")
    assert "drivers.codecs._lineplate_c" not in manifest.modules_under("drivers")


def test_manifest_matches_pyproject_package_data() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = pyproject["tool"]["setuptools"]["package-data"]
    for package, pattern in manifest.PACKAGE_DATA:
        assert package in declared
        assert any(pattern.startswith(p.split("*")[0]) for p in declared[package]), pattern


def test_manifest_ships_the_icon_and_driver_data_but_no_caches() -> None:
    files = [p.as_posix() for p in manifest.package_data_files()]
    assert "clinic_app/resources/icons/dorsilab.svg" in files
    assert any(f.startswith("drivers/data/") for f in files)
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    datas = manifest.pyinstaller_datas()
    assert (
        str(REPO_ROOT / "clinic_app/resources/icons/dorsilab.svg"),
        "clinic_app/resources/icons",
    ) in datas


def test_hidden_imports_cover_modules_loaded_with_importlib() -> None:
    modules = manifest.modules_under("clinic_app")
    commands = (REPO_ROOT / "clinic_app/commands").glob("*.py")
    for path in commands:
        name = "clinic_app.commands" + ("" if path.stem == "__init__" else f".{path.stem}")
        assert name in modules
    assert "clinic_app" in modules and "clinic_app.cli" in modules


def test_build_requirements_come_from_pyproject() -> None:
    requirements = build.build_requirements()
    assert any(r.startswith("PySide6-Essentials") for r in requirements)
    assert any(r.lower().startswith("pyinstaller") for r in requirements)
    assert build.read_version() == _version()


def _version() -> str:
    namespace: dict[str, str] = {}
    exec((REPO_ROOT / "clinic_app/_version.py").read_text(encoding="utf-8"), namespace)
    return namespace["__version__"]


def test_windows_script_is_a_per_user_install_with_uninstaller() -> None:
    text = (INSTALLERS / "windows" / "dorsilab.iss").read_text(encoding="utf-8")
    assert "PrivilegesRequired=lowest" in text
    assert r"DefaultDirName={localappdata}\Programs\DorsiLab" in text
    assert "AppVersion={#AppVersion}" in text and "#ifndef AppVersion" in text
    assert "{uninstallexe}" in text and "[Icons]" in text
    app_id = re.search(r"AppId=\{\{([0-9A-F-]+)\}", text)
    assert app_id and len(app_id.group(1)) == 36


def test_windows_version_resource_is_a_python_literal_pyinstaller_can_eval(
    tmp_path: Path,
) -> None:
    text = build.windows_version_file("1.2.3", tmp_path).read_text(encoding="utf-8")
    tree = ast.parse(text, mode="eval")
    assert isinstance(tree.body, ast.Call) and tree.body.func.id == "VSVersionInfo"  # type: ignore[attr-defined]
    assert "(1, 2, 3, 0)" in text and "'ProductVersion', '1.2.3'" in text


def test_macos_info_plist_template_fills_to_a_valid_plist() -> None:
    text = (INSTALLERS / "macos" / "Info.plist.in").read_text(encoding="utf-8")
    info = plistlib.loads(text.replace("@VERSION@", "1.2.3").encode("utf-8"))
    assert info["CFBundleIdentifier"] == "org.dorsilab.DorsiLab"
    assert info["CFBundleShortVersionString"] == info["CFBundleVersion"] == "1.2.3"
    assert info["CFBundleExecutable"] == "DorsiLab"
    assert info["NSHighResolutionCapable"] is True


def test_icon_svg_renders_and_rasters_match_their_names() -> None:
    assert QSvgRenderer(str(ICONS / "dorsilab.svg")).isValid()
    for path in ICONS.glob("dorsilab-*.png"):
        size = int(path.stem.split("-")[1])
        head = path.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", head[16:24]) == (size, size), path.name


def test_ico_and_icns_hold_the_sizes_the_platforms_ask_for() -> None:
    ico = (ICONS / "dorsilab.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", ico, 0)
    assert (reserved, kind) == (0, 1)
    widths = {ico[6 + 16 * i] or 256 for i in range(count)}
    assert {16, 32, 48, 256} <= widths
    icns = (ICONS / "dorsilab.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    assert b"ic10" in icns or b"ic09" in icns  # 512 px (retina 1024 px) image present


def test_linux_check_script_builds_from_a_clean_clone_with_check() -> None:
    text = (INSTALLERS / "check_linux_bundle.sh").read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "git clone" in text and "python3 -m venv" in text
    assert "installers/build.py --check" in text
    assert Path(INSTALLERS / "check_linux_bundle.sh").stat().st_mode & 0o111
