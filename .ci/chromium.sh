#!/usr/bin/env bash
# Installs headless Chromium for the OtelGen.AspNetCore browser test (tests/AspNetCore.Tests).
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root (CI containers run as root).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium present: $(command -v chromium)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
command -v chromium
