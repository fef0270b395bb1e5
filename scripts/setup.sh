#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment in .venv with the given extras.
# Usage: scripts/setup.sh [EXTRAS]   e.g. scripts/setup.sh imaging,test
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
extras="${1:-imaging,test}"
py="${PYTHON:-python3}"
if [ ! -x "$here/.venv/bin/python" ]; then
  "$py" -m venv "$here/.venv"
fi
stamp="$here/.venv/.nuke-restore-$extras"
if [ ! -f "$stamp" ] || [ "$here/pyproject.toml" -nt "$stamp" ]; then
  "$here/.venv/bin/python" -m pip install --quiet --upgrade pip
  "$here/.venv/bin/python" -m pip install --quiet -e "$here[$extras]"
  touch "$stamp"
fi
