#!/usr/bin/env bash
# Full training pipeline on CPU: naive -> distill -> compensate, each stage time-boxed, then the
# ablation evaluation of the three checkpoints on scifact dev queries. Stages whose checkpoint
# already exists are skipped (re-run to resume).
#   bash scripts/train-all.sh [run-dir]     (minutes per stage: NAIVE_MIN, DISTILL_MIN, COMP_MIN)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py="$(bash "$root/scripts/setup-python.sh")"
run="${1:-runs/main}"
cd "$root/trainer"
stage() {  # name init steps minutes
  if [ -f "$run/$1.pt" ] && [ -f "$run/$1.json" ]; then echo "[train-all] $1: $run/$1.pt exists, skipped"; return; fi
  "$py" -m mrr.train --stage "$1" ${2:+--init "$2"} --out "$run" --steps "$3" --max-minutes "$4" --eval-queries 0
}
stage naive "" "${NAIVE_STEPS:-700}" "${NAIVE_MIN:-25}"
stage distill "$run/naive.pt" "${DISTILL_STEPS:-700}" "${DISTILL_MIN:-35}"
stage compensate "$run/distill.pt" "${COMP_STEPS:-450}" "${COMP_MIN:-20}"
