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

# Byte-compile the environment once per lock file. Without .pyc files every process compiles
# what it imports from source, and when PYTHONDONTWRITEBYTECODE is set (as on the shared build
# machine) it does so in every process: measured there, `import great_expectations` took 19 s
# of CPU without .pyc and 7 s with, `import pipelines.definitions` 6 s and 2 s. Every `slm`
# command and every pytest worker pays that. The stamp keeps a second `make` from recompiling.
STAMP=.venv/.bytecode-compiled
if [ ! -f "$STAMP" ] || [ uv.lock -nt "$STAMP" ]; then
  echo "==> byte-compiling .venv (once per uv.lock)"
  UV_PYTHON_DOWNLOADS=never uv sync --frozen --quiet --compile-bytecode
  touch "$STAMP"
fi
