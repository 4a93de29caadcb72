#!/usr/bin/env bash
# Full training pipeline (CPU, ~90 min on 2 cores): naive -> distill -> compensate -> export.
# Usage: bash scripts/train-all.sh [run-dir] ; minutes per stage via NAIVE_MIN, DISTILL_MIN, COMP_MIN.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py="$(bash "$root/scripts/setup-python.sh")"
run="${1:-runs/main}"
cd "$root/trainer"
"$py" -m mrr.train --stage naive --out "$run" --steps "${NAIVE_STEPS:-700}" --max-minutes "${NAIVE_MIN:-25}"
"$py" -m mrr.train --stage distill --init "$run/naive.pt" --out "$run" --steps "${DISTILL_STEPS:-700}" --max-minutes "${DISTILL_MIN:-35}"
"$py" -m mrr.train --stage compensate --init "$run/distill.pt" --out "$run" --steps "${COMP_STEPS:-450}" --max-minutes "${COMP_MIN:-20}"
