#!/usr/bin/env bash
# Installs the Debian packages the page tests need, only when they are missing:
#   chromium        headless browser driven by Playwright (tests/pages)
#   fonts-noto-cjk  Chinese glyphs, so screenshots show 汉字 and not boxes
# Idempotent: when everything is present it prints one line and exits 0.
# Uses sudo when not root. Waits for a running apt/dpkg (lock timeout) instead of failing.
set -euo pipefail

PACKAGES=(chromium fonts-noto-cjk)

installed() {  # installed PKG → 0 when dpkg knows it as installed
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

if ! command -v dpkg-query >/dev/null 2>&1; then
    # Not Debian: we cannot install, only tell what is needed.
    if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
        echo "system deps: not a Debian system; found a chromium binary, assuming CJK fonts are present."
        exit 0
    fi
    echo "system deps: not a Debian system. Install Chromium and a CJK font (Noto CJK) yourself." >&2
    exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
    installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "system deps: ${PACKAGES[*]} already installed."
    exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "system deps: need root or sudo to install: ${missing[*]}" >&2
        exit 1
    fi
fi

APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=1800)
echo "system deps: installing ${missing[*]} with apt ..."
# Try without refreshing the package lists first (fast when they are recent);
# refresh once and retry when that fails.
if ! "${APT[@]}" install --no-install-recommends "${missing[@]}"; then
    "${APT[@]}" update
    "${APT[@]}" install --no-install-recommends "${missing[@]}"
fi

for p in "${missing[@]}"; do
    installed "$p" || { echo "system deps: $p did not install" >&2; exit 1; }
done
echo "system deps: installed ${missing[*]}."
