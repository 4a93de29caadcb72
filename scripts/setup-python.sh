#!/usr/bin/env bash
# Creates (once) and reuses trainer/.venv with the trainer's requirements.
# Re-runs are cheap: pip is skipped when requirements.txt has not changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/trainer/.venv"
req="$root/trainer/requirements.txt"
stamp="$venv/.requirements.sha"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -r "$req"
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
