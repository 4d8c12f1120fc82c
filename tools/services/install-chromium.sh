#!/usr/bin/env bash
# Finds a Chromium (or Chrome) for the dashboard's real-browser test, or installs Debian's chromium package with
# apt-get (no browser download by Playwright). `npm run test:browser` runs this first; `npm test` needs no browser.
# CHROMIUM_PATH names a binary to use instead (e.g. a Chrome on a developer's machine).
set -euo pipefail

fail() {
  echo "[chromium] $1" >&2
  echo "[chromium] The browser test needs Chromium or Chrome: install one (Debian/Ubuntu: apt-get install chromium)," >&2
  echo "[chromium] or set CHROMIUM_PATH=/path/to/chromium, then run npm run test:browser again." >&2
  exit 1
}

if [ -n "${CHROMIUM_PATH:-}" ]; then
  [ -x "$CHROMIUM_PATH" ] || fail "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file."
  echo "[chromium] using CHROMIUM_PATH: $("$CHROMIUM_PATH" --version 2>/dev/null || echo "$CHROMIUM_PATH")"
  exit 0
fi

# the same places test/dashboard/harness.ts looks, in the same order
find_browser() {
  local candidate
  for candidate in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome /usr/bin/google-chrome-stable; do
    if [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  done
  for candidate in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$candidate" >/dev/null 2>&1; then command -v "$candidate"; return 0; fi
  done
  return 1
}

if found=$(find_browser); then
  echo "[chromium] found $found: $("$found" --version 2>/dev/null || echo 'version unknown')"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || fail "No Chromium found, and apt-get is not available to install one."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "No Chromium found; installing it with apt-get needs root, and sudo is not available."
  SUDO="sudo"
fi
echo "[chromium] no Chromium found: installing Debian's chromium package with apt-get (this can take minutes)…"
$SUDO apt-get update -qq || fail "apt-get update failed (offline, or no permission?)."
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null ||
  fail "apt-get install chromium failed (this distribution may name the package differently, e.g. chromium-browser)."
found=$(find_browser) || fail "apt-get installed chromium, but no Chromium binary was found afterwards."
echo "[chromium] installed $found: $("$found" --version 2>/dev/null || echo 'version unknown')"
