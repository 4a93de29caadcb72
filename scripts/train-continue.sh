#!/usr/bin/env bash
# Continue training from an exported bundle (read back exactly by mrr.bundle_import.load_model): more
# cascaded self-distillation, the external teacher on every student too, then compensation,
# then the evaluations behind trainer/RESULTS.md. Used for runs/v3 and runs/v4 (each from the bundle
# shipped before it).
#   bash scripts/train-continue.sh [run-dir] [bundle]
#   minutes per stage: DISTILL_MIN (30), COMP_MIN (12); ICT=n adds n inverse-cloze pseudo-queries
#   (mrr/ict.py; runs/v4: ICT=3000); EVAL=0 skips the evaluations
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py="$(bash "$root/scripts/setup-python.sh")"
run="${1:-runs/v3}"
bundle="${2:-../models/minilm-l6-scifact}"
cd "$root/trainer"
mkdir -p "$run"
ablation="d2,d3,d4,d5,d6,d6-c2-r2,d6-c2-r4,d6-c3-r8,d4-c2-r4,d5-c3-r4,d3-c2-r2"
datasets="d6,d3,d5-c3-r4,d4-c3-r8"
source "$root/scripts/train-stages.sh"
train_stages "$py" "$run" "$bundle" "${DISTILL_MIN:-30}" "${COMP_MIN:-12}" 2e-5 2e-4 20 --steps 3000 \
  --student-ext-weight 0.5 --ict "${ICT:-0}"
[ "${EVAL:-1}" = 0 ] && exit 0
echo "$ablation" > "$run/ablation-configs.txt"
echo "$datasets" > "$run/datasets-configs.txt"
ev() { [ -f "$run/$1" ] || "$py" -m mrr.evaluate --threads 2 --out "$run/$1" "${@:2}"; }
ev calib.json --ckpt "$run/compensate.pt" --datasets scifact-dev --configs grid --k 20 --max-queries 51
ev ablation-distill-more.json --ckpt "$run/distill.pt" --datasets scifact-dev --configs "$ablation" --k 20 --max-queries 51
ev datasets.json --ckpt "$run/compensate.pt" --datasets adi,medline,scifact-dev,cisi,cranfield --configs "$datasets" \
  --k 100 --max-queries 40 --fusion 0.5,1,2
