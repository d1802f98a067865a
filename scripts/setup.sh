#!/usr/bin/env bash
# Installs what building, running and testing Weft needs on Debian/Ubuntu (with Rust and
# Node already present), then builds the UI. Idempotent: cheap when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

APT_PACKAGES=(libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev xvfb xauth webkit2gtk-driver xdotool
  libdbus-1-dev pkg-config)
[ "${WEFT_SETUP_TESTS:-0}" = 1 ] && APT_PACKAGES+=(chromium ripgrep dbus-daemon gnome-keyring libsecret-tools mingw-w64 wine wine64 clangd git golang-go python3 python3-venv lsof)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

echo "==> npm: UI dependencies"
# `npm ci` refuses lockfiles whose optional per-platform packages the registry lacks;
# `npm install` still installs the locked versions.
(cd ui && npm install --no-audit --no-fund --loglevel=error)

if [ "${WEFT_SETUP_TESTS:-0}" = 1 ]; then
  echo "==> npm: the language servers the LSP tests run against"
  (cd scripts/language-servers && npm install --no-audit --no-fund --loglevel=error)
  echo "==> npm: the MCP server the MCP tests run against"
  (cd scripts/mcp-servers && npm install --no-audit --no-fund --loglevel=error)
fi

echo "==> vite: building the UI"
(cd ui && npx vite build --logLevel warn)
