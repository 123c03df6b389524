#!/usr/bin/env bash
# Set up a fresh machine: system packages, uv, and the locked virtual environment in .venv.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

# Headless Chromium: the browser tests open the dashboards in it, and kaleido uses it for PNGs.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "==> installing Debian chromium (browser tests, PNG export)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-liberation >/dev/null
fi

if ! command -v uv >/dev/null 2>&1; then
  echo "==> installing uv"
  python3 -m pip install --quiet "uv==0.13.8"
fi

echo "==> syncing .venv from uv.lock"
UV_PYTHON_DOWNLOADS=never uv sync --frozen --quiet
# uv byte-compiles the environment as it syncs (pyproject.toml: [tool.uv] compile-bytecode).
