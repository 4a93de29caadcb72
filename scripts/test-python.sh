#!/usr/bin/env bash
# Trainer tests (tiny random model, seconds) plus cross-language checks.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py="$(bash "$root/scripts/setup-python.sh")"
cd "$root/trainer"
"$py" -m pytest -q -p no:cacheprovider tests "$@"
