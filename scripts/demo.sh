#!/usr/bin/env bash
# `npm start` / `npm run demo`: set up a fresh machine (node_modules; no Python, no Chromium)
# and serve the demo page (index.html) with vite, COOP/COEP headers included (vite.config.ts).
#   PORT=5173 HOST=127.0.0.1 npm start        (HOST=0.0.0.0 to reach it from another machine)
# The page loads models/minilm-l6-scifact/ or, while that bundle is absent, the tiny test
# fixture (with a note on the page); add ?model=<url> or ?backend=wasm|webgpu to the URL.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
SETUP_SKIP_PYTHON=1 SETUP_SKIP_CHROMIUM=1 bash scripts/setup.sh
port="${PORT:-5173}"
host="${HOST:-127.0.0.1}"
if [ -f models/minilm-l6-scifact/manifest.json ]; then
  echo "[demo] model: models/minilm-l6-scifact/"
else
  echo "[demo] models/minilm-l6-scifact/ not found: the page falls back to test/fixtures/tiny/ (random weights)"
fi
echo "[demo] open http://${host}:${port}/   (Ctrl-C stops the server)"
exec npx vite --host "$host" --port "$port" --strictPort
