#!/usr/bin/env bash
# Installs what the product and its tests need on a fresh Debian machine, then the Python venv.
# Idempotent: cheap when everything is present. Usage: scripts/bootstrap.sh [run|test]
set -euo pipefail
mode=${1:-run}
need=(fonts-dejavu-core)
if [ "$mode" = test ]; then need+=(libzbar0 chromium postgresql libnss3-tools); fi
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
stamp=.venv/.installed-$mode
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip >/dev/null
  if [ "$mode" = test ]; then .venv/bin/pip install -q -e '.[dev]'; else .venv/bin/pip install -q -e .; fi
  touch "$stamp"
fi
