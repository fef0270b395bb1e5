#!/usr/bin/env bash
# Set up and run the demo: the whole workflow on bundled sample data (no Nuke needed).
# Usage: scripts/demo.sh [OUTDIR]   (default: demo-out)
# Re-running into a folder that holds a previous demo regenerates it (the output is deterministic);
# any other non-empty folder is refused by `nuke-restore demo` itself.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/setup.sh" imaging,test
out="${1:-demo-out}"
extra=()
if [ -f "$out/.nuke-restore-demo" ]; then
  echo "note: $out holds a previous demo; regenerating it" >&2
  extra=(--force)
fi
exec "$here/.venv/bin/nuke-restore" demo "${extra[@]}" "$out"
