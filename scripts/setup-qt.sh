#!/usr/bin/env bash
# Qt runtimes for the dialog tests: PySide6 (the 'ui' extra) in .venv, and PySide2 for the system
# Python 3 from Debian (pip has no PySide2 wheel for Python 3.11; Nuke 14-15 use PySide2).
# Idempotent; the apt step runs only as root and only when PySide2 is missing. Failures here only
# warn: the PySide2 test then skips with its reason.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
stamp="$here/.venv/.nuke-restore-ui"
if [ ! -f "$stamp" ] || [ "$here/pyproject.toml" -nt "$stamp" ]; then
  log="$(mktemp)"
  if "$here/.venv/bin/python" -m pip install --quiet -e "$here[ui]" >"$log" 2>&1; then
    touch "$stamp"
  else
    cat "$log" >&2
    echo "setup-qt: WARNING: could not install the 'ui' extra (PySide6)" >&2
  fi
  rm -f "$log"
fi
if [ -x /usr/bin/python3 ] && ! /usr/bin/python3 -c "import PySide2.QtWidgets" 2>/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq python3-pyside2.qtwidgets python3-pyside2.qtgui \
        python3-pyside2.qtcore >/dev/null; } \
      || echo "setup-qt: WARNING: could not apt-get install PySide2 for /usr/bin/python3" >&2
  else
    echo "setup-qt: PySide2 missing for /usr/bin/python3 and not root: its test will skip" >&2
  fi
fi
