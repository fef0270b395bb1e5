#!/usr/bin/env bash
# Set up and run every check: ruff, the Python 3.9 check of the Nuke-side code (vermin), then pytest.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
"$here/scripts/setup.sh" imaging,test,ml
"$here/scripts/setup-qt.sh"   # PySide6 in .venv, PySide2 for /usr/bin/python3 (dialog tests)
py="$here/.venv/bin/python"
echo "== ruff"
"$py" -m ruff check nuke_restore tests bench scripts init.py menu.py
echo "== vermin (code that runs inside Nuke must run on Python 3.9)"
"$here/.venv/bin/vermin" --no-tips --violations -t=3.9- --backport dataclasses --eval-annotations \
  init.py menu.py nuke_restore/__init__.py nuke_restore/errors.py nuke_restore/_optional.py \
  nuke_restore/fileio.py nuke_restore/dirfd.py nuke_restore/nk nuke_restore/nukeside nuke_restore/recipes nuke_restore/config
if ! command -v tclsh >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  # Debian's tclsh is the oracle of the untrusted-script tests (tests/tcl_oracle.py); they skip without it.
  echo "== apt-get install tcl (for the TCL oracle)"
  { apt-get install -y -qq tcl || { apt-get update -qq && apt-get install -y -qq tcl; }; } >/dev/null 2>&1 \
    || echo "could not install tcl: the TCL oracle tests will skip"
fi
echo "== pytest"
"$py" -m pytest -q "$@"
