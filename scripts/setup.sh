#!/usr/bin/env bash
# One-time set-up on a fresh machine (idempotent, cheap on re-runs):
#   node_modules (npm ci), Debian chromium for the browser suites, trainer/.venv (PyTorch etc.).
# SETUP_SKIP_PYTHON=1 / SETUP_SKIP_CHROMIUM=1 skip the parts the demo does not need.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] npm ci"
  npm ci --no-audit --no-fund
fi
if [ "${SETUP_SKIP_CHROMIUM:-0}" != 1 ] && [ ! -x /usr/bin/chromium ]; then
  echo "[setup] apt-get install chromium"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q chromium
fi
if [ "${SETUP_SKIP_PYTHON:-0}" != 1 ]; then
  echo "[setup] python venv: $(bash scripts/setup-python.sh)"
fi
