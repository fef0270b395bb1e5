#!/usr/bin/env bash
# Set up and run the demo: the whole workflow on bundled sample data (no Nuke needed).
# Usage: scripts/demo.sh [--force] [--no-imaging] [OUTDIR]   (default OUTDIR: demo-out)
# Options are passed to `nuke-restore demo`; the first other argument is the output folder.
# Re-running into a folder that holds a previous demo (finished or interrupted) regenerates it (the
# output is deterministic); any other non-empty folder is refused by `nuke-restore demo` itself
# unless --force is given.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out=""
opts=()
for arg in "$@"; do
  case "$arg" in
    -h|--help)
      sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
      exit 0 ;;
    -*) opts+=("$arg") ;;
    *)
      if [ -n "$out" ]; then
        echo "demo.sh: one output folder only (got '$out' and '$arg')" >&2
        exit 2
      fi
      out=$arg ;;
  esac
done
out="${out:-demo-out}"
"$here/scripts/setup.sh" imaging,test
if [ -f "$out/.nuke-restore-demo" ]; then
  echo "note: $out holds a previous demo; regenerating it" >&2
  case " ${opts[*]-} " in
    *" --force "*) ;;
    *) opts+=(--force) ;;
  esac
fi
exec "$here/.venv/bin/nuke-restore" demo ${opts[@]+"${opts[@]}"} -- "$out"
