#!/usr/bin/env bash
# Set up and run the demo: builds every restoration graph from bundled sample data (no Nuke needed).
# Usage: scripts/demo.sh [OUTDIR]   (default: demo-out)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/setup.sh" imaging,test
exec "$here/.venv/bin/nuke-restore" demo "${1:-demo-out}"
