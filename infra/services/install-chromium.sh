#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard's real-browser test (no browser download by Playwright).
set -euo pipefail
if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "[chromium] already installed: $("${CHROMIUM_PATH:-/usr/bin/chromium}" --version 2>/dev/null || echo present)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "[chromium] installing Debian's chromium package (apt-get)…"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "[chromium] installed: $(/usr/bin/chromium --version 2>/dev/null || echo unknown)"
