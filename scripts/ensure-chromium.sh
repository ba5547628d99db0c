#!/usr/bin/env bash
# Installs Debian's Chromium for the Web UI browser check, when it is not there yet (CI runs as root).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is missing: install Debian's 'chromium' package (or set CHROMIUM_PATH) for the browser check" >&2
  exit 0
fi
echo "[ensure-chromium] installing Debian chromium"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
