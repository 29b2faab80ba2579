#!/usr/bin/env bash
# Build DorsiLab's Linux bundle, .tar.gz and .deb from a clean clone in a fresh virtual
# environment, then run the frozen program (--version, selftest) and check the packages.
#
#   installers/check_linux_bundle.sh [REPO]      (REPO defaults to this checkout)
#
# Takes several minutes on two cores, so it is not part of the pytest suite; run it before a
# release and after changing the spec, the dependencies or the package data.
# Environment: DORSILAB_CHECK_DIR (work folder, default a new temporary folder),
# KEEP=1 (keep the work folder, with dist/ and the selftest log, for inspection).
set -euo pipefail

repo="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
work="${DORSILAB_CHECK_DIR:-$(mktemp -d -t dorsilab-bundle-XXXXXX)}"
if [ "${KEEP:-0}" != "1" ]; then
    trap 'rm -rf "$work"' EXIT
fi

# Runtime libraries the frozen Qt loads from the system (PyInstaller leaves the display and
# graphics stack out on purpose), dpkg-deb for the package, desktop-file-validate, and Xvfb
# for running the frozen selftest through the xcb platform plugin as on a clinic desktop.
apt_packages=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
              libglib2.0-0 libxcb-cursor0 libwayland-client0 libwayland-cursor0
              libwayland-egl1 desktop-file-utils dpkg xvfb xauth)
missing=()
for pkg in "${apt_packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})) && command -v apt-get >/dev/null; then
    echo "check_linux_bundle: installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null
fi

echo "check_linux_bundle: cloning $repo into $work/clone"
git clone --quiet "$repo" "$work/clone"
git -C "$work/clone" log -1 --format='check_linux_bundle: commit %h %s'

python3 -m venv "$work/venv"
started=$(date +%s)
cd "$work/clone"
status=0
"$work/venv/bin/python" installers/build.py --check || status=$?
if [ "$status" -ne 0 ] && [ -f dist/selftest.log ]; then
    echo "check_linux_bundle: selftest log:"; cat dist/selftest.log
fi
echo "check_linux_bundle: finished in $(( $(date +%s) - started )) s (build + checks)"
du -sh dist/dorsilab dist/*.deb dist/*.tar.gz
exit $status
