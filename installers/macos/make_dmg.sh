#!/usr/bin/env bash
# Wrap DorsiLab.app in a compressed, drag-to-install disk image (macOS only: needs hdiutil).
#
#   installers/macos/make_dmg.sh dist/DorsiLab.app dist/DorsiLab-0.1.0.dmg 0.1.0
#
# The image holds the app and a link to /Applications. It is neither signed nor notarised:
# for distribution run `codesign --deep --options runtime --sign "Developer ID Application: …"`
# on the .app before this script, and `xcrun notarytool submit … --wait` plus
# `xcrun stapler staple` on the .dmg after it.
set -euo pipefail

app="${1:?usage: make_dmg.sh APP DMG VERSION}"
dmg="${2:?usage: make_dmg.sh APP DMG VERSION}"
version="${3:?usage: make_dmg.sh APP DMG VERSION}"

if ! command -v hdiutil >/dev/null 2>&1; then
    echo "make_dmg.sh: hdiutil not found (a .dmg can only be made on macOS)" >&2
    exit 2
fi
if [ ! -d "$app" ]; then
    echo "make_dmg.sh: $app is not an app bundle (build it first: python installers/build.py)" >&2
    exit 2
fi

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
rm -f "$dmg"
hdiutil create -volname "DorsiLab $version" -srcfolder "$staging" -fs HFS+ \
    -format UDZO -imagekey zlib-level=9 -ov "$dmg"
hdiutil verify "$dmg"
echo "make_dmg.sh: wrote $dmg"
