#!/usr/bin/env bash
# Installs what is needed, builds Weft and opens the desktop window on a folder
# (default: the current one). Usage: scripts/launch.sh [FOLDER]
set -euo pipefail
folder="$(realpath "${1:-$PWD}")"
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "==> cargo: building weft and the desktop app (release)"
cargo build --release -p weft-cli -p weft-desktop --features weft-desktop/custom-protocol
echo "==> opening $folder"
# A shared target folder (CARGO_TARGET_DIR) is where cargo put it.
exec "${CARGO_TARGET_DIR:-target}/release/weft-desktop" "$folder"
