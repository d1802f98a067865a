#!/usr/bin/env bash
# Installs what is needed and runs every test: Rust unit and integration tests, the UI unit
# tests (vitest), the TS type check, the generated-bindings staleness check, the crate
# boundary check, the
# browser end-to-end suite (headless Chromium against `weft serve`) and the desktop smoke
# test (the real window under Xvfb, driven over WebDriver).
set -euo pipefail
cd "$(dirname "$0")/.."
export WEFT_SETUP_TESTS=1
scripts/setup.sh

if ! command -v tauri-driver >/dev/null && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
  echo "==> cargo: installing tauri-driver 2"
  cargo install tauri-driver --locked --version '^2'
fi

# What the developer's shell exports must not change what tests check.
unset ANTHROPIC_API_KEY OPENAI_API_KEY WEFT_BLESS WEFT_TOKEN

# Tests never touch the user's trash, settings or logs.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export XDG_DATA_HOME="$scratch/xdg-data" XDG_CONFIG_HOME="$scratch/xdg-config"
export WEFT_CONFIG_DIR="$scratch/config" WEFT_DATA_DIR="$scratch/data"

echo "==> cargo: building (the desktop app with the UI embedded)"
cargo build --workspace --features weft-desktop/custom-protocol,weft-minimal-window/custom-protocol
# The scripted model server the agent's end-to-end test talks to.
cargo build -p weft-llm --features fake --bin weft-fake-llm

echo "==> boundary: no core crate depends on tauri"
for crate in weft-fs weft-doc weft-pty weft-store weft-syntax weft-llm weft-agent weft-usage weft-collab weft-git weft-lsp weft-mcp weft-api weft-server weft-cli; do
  if cargo tree -p "$crate" -i tauri -e normal 2>/dev/null | grep -q .; then
    echo "FAIL: $crate depends on tauri"; exit 1
  fi
done
if grep -rlE "from ['\"]@tauri-apps/" ui/src | grep -v '^ui/src/backend/'; then
  echo "FAIL: @tauri-apps imported outside ui/src/backend/"; exit 1
fi

echo "==> windows: the whole workspace type-checks for x86_64-pc-windows-gnu"
# The desktop crate included (its icons, its Windows dependencies). Never skipped quietly:
# without the toolchain this step fails.
if ! rustup target list --installed | grep -qx x86_64-pc-windows-gnu; then
  rustup target add x86_64-pc-windows-gnu || { echo "FAIL: cannot install the Rust target x86_64-pc-windows-gnu"; exit 1; }
fi
command -v x86_64-w64-mingw32-gcc >/dev/null || { echo "FAIL: mingw-w64 is not installed (scripts/setup.sh installs it)"; exit 1; }
cargo check --workspace --all-targets --target x86_64-pc-windows-gnu

echo "==> macos: the crates with macOS-only code that build without Apple's SDK type-check for x86_64-apple-darwin"
# weft-pty lists a terminal's processes with sysinfo there; weft-run asks lsof for their
# listening ports. The others need the SDK's C
# headers (ring, zstd, tree-sitter, the window's Objective-C), so the GitHub workflow's
# macOS job is where the rest is built.
if ! rustup target list --installed | grep -qx x86_64-apple-darwin; then
  rustup target add x86_64-apple-darwin || { echo "FAIL: cannot install the Rust target x86_64-apple-darwin"; exit 1; }
fi
cargo check --target x86_64-apple-darwin -p weft-fs -p weft-doc -p weft-pty -p weft-run --all-targets

echo "==> windows: the platform-neutral crates' tests, as Windows programs under Wine"
# Real Windows semantics where Wine has them (paths, file sharing, no POSIX permissions);
# tests that only mean something on Unix are gated with cfg(unix). Never skipped quietly.
command -v wine >/dev/null || { echo "FAIL: wine is not installed (scripts/setup.sh installs wine64)"; exit 1; }
wine_crates=(-p weft-fs -p weft-doc -p weft-store -p weft-syntax -p weft-usage -p weft-llm -p weft-collab)
cargo test --target x86_64-pc-windows-gnu "${wine_crates[@]}" --no-run
# A prefix of its own, made whole before the first test starts (a test binary must not
# race wineboot's first run). Missing DLLs are named in the log (err+module), not just
# exit status 53 (STATUS_DLL_NOT_FOUND).
export WINEPREFIX="$scratch/wine" WINEDEBUG=-all,err+module
wineboot --init 2>/dev/null
wineserver --wait
# Wine 8 lacks bcryptprimitives.dll, which Rust's standard library loads for randomness:
# a shim (see the source) in the prefix's system32, where every binary finds it whatever
# the target folder.
x86_64-w64-mingw32-gcc -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  scripts/wine/bcryptprimitives.c -ladvapi32
WEFT_UNDER_WINE=1 CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine \
  cargo test --target x86_64-pc-windows-gnu "${wine_crates[@]}"
# A terminal's process tree as a Job Object (weft-pty's other tests need ConPTY, which Wine lacks).
WEFT_UNDER_WINE=1 CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine \
  cargo test --target x86_64-pc-windows-gnu -p weft-pty --test job
# The listening-socket table the port watcher reads on Windows (weft-run's other tests need
# /proc, a PTY or a browser).
WEFT_UNDER_WINE=1 CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine \
  cargo test --target x86_64-pc-windows-gnu -p weft-run --test run windows_
wineserver --kill || true
unset WINEPREFIX WINEDEBUG

echo "==> cargo test"
# Projects made from the templates build in one target folder beside Weft's (warm next time).
export WEFT_TEMPLATE_TARGET="${CARGO_TARGET_DIR:-$PWD/target}/templates"
# The setup installed a Secret Service to test the OS keychain against, and Chromium for
# the preview's screenshots: their tests must run.
WEFT_REQUIRE_KEYCHAIN_TEST=1 WEFT_REQUIRE_TRASH=1 WEFT_REQUIRE_BROWSER=1 cargo test --workspace --exclude weft-desktop

echo "==> bindings: ui/src/bindings must match the Rust DTOs"
if [ -n "$(git status --porcelain -- ui/src/bindings)" ]; then
  git status --porcelain -- ui/src/bindings
  echo "FAIL: generated TS bindings are stale; commit the output of cargo test -p weft-api"; exit 1
fi

echo "==> tsc: UI type check"
(cd ui && npx tsc --noEmit)

echo "==> vitest: UI unit tests (the parts that hold logic)"
(cd ui && npx vitest run)

echo "==> e2e: headless Chromium against weft serve"
# Force the exit once the tests are done: a leaked timer in one file must not hang CI.
# A file that fails is run once more on its own and named here either way: a failure that
# does not repeat is printed as FLAKY (to be found, not forgotten), one that does fails CI.
# (Seen once in seven runs on 2026-12-05: agent.test.mjs's first file open never showed its
# tab; not reproduced in 25 runs since, alone, after the file before it, in the whole
# suite, under load or not.)
e2e_log="$scratch/e2e.tap"
if ! (cd ui && node --test --test-force-exit tests/e2e/ 2>&1 | tee "$e2e_log"; exit "${PIPESTATUS[0]}"); then
  mapfile -t failed < <(grep -A4 '^not ok' "$e2e_log" | grep -o "location: '[^']*'" | sed -E "s/location: '(.*):[0-9]+:[0-9]+'/\1/" | sort -u)
  [ ${#failed[@]} -gt 0 ] || { echo "FAIL: the browser suite failed outside any test"; exit 1; }
  echo "==> e2e: running again on their own: ${failed[*]}"
  (cd ui && WEFT_E2E_LOGS=1 node --test --test-force-exit "${failed[@]}") || { echo "FAIL: ${failed[*]} failed twice"; exit 1; }
  echo "FLAKY: ${failed[*]} failed once and passed on a second run"
fi

echo "==> desktop: the real window under Xvfb via WebDriver"
(cd ui && WEBKIT_DISABLE_DMABUF_RENDERER=1 xvfb-run -a -s '-screen 0 1280x800x24' node --test tests/desktop/)

echo "==> start-up: Weft's time to ready beside a minimal Tauri window's (printed, never asserted)"
# The debug builds above, three interleaved starts each: a change that adds start-up work
# shows here. The release figures (README) come from benches/desktop-start.mjs.
node benches/desktop-start.mjs 3 --debug

echo "==> bundle: the .deb, unpacked into a clean folder, opens its window on a folder"
# Tauri's own bundler (the CLI from npm) packs the binary the desktop test just used. The
# AppImage needs linuxdeploy, which the bundler downloads from GitHub: this machine cannot
# reach it, so only the .deb is built here (the release workflow builds both).
ui/node_modules/.bin/tauri bundle --debug --bundles deb --ci
deb=$(ls "${CARGO_TARGET_DIR:-target}"/debug/bundle/deb/Weft_*_amd64.deb)
dpkg-deb -f "$deb" Depends | grep -q libwebkit2gtk-4.1 || { echo "FAIL: the .deb does not depend on WebKitGTK"; exit 1; }
root="$scratch/deb-root"
dpkg -x "$deb" "$root"
grep -qx 'Exec=weft-desktop' "$root/usr/share/applications/Weft.desktop" || { echo "FAIL: the .deb's desktop entry does not start weft-desktop"; exit 1; }
test -s "$root/usr/share/icons/hicolor/128x128/apps/weft-desktop.png" || { echo "FAIL: the .deb has no 128x128 icon"; exit 1; }
(cd ui && WEFT_DESKTOP_BIN="$root/usr/bin/weft-desktop" WEBKIT_DISABLE_DMABUF_RENDERER=1 xvfb-run -a -s '-screen 0 1280x800x24' \
  node --test --test-name-pattern 'opens on a folder' tests/desktop/smoke.test.mjs)

echo "all tests passed"
