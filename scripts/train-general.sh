#!/usr/bin/env bash
# The general-domain model (issue 16): one prepared script for a CPU box or a GPU session.
# Sources, sampled evenly (mrr/train.py: draw_group): scifact's labels, the labels of the QA sets
# (boolq, wikiqa, selqa, qnli; their judged non-relevant passages as hard negatives; 20% of each
# set's queries held out as dev), and label-free title and inverse-cloze queries of every training
# corpus. The external teacher (mrr/teacher.py: TEACHER_WEIGHTS, fixed zero-shot by
# tools/teacher_zero_shot.py before any student trains) teaches every student at every step.
#   bash scripts/train-general.sh [run-dir] [init]
#   init: a bundle folder or checkpoint to continue from (default: the shipped bundle); 'pretrained'
#   starts from all-MiniLM-L6-v2. Minutes: DISTILL_MIN (90), COMP_MIN (30); ICT per corpus (1000);
#   PSEUDO (true: scifact's title queries too);
#   STUDENT_EXT (1.0, the external teacher's weight on every student); QPS (queries per step, 2;
#   use 16+ on a GPU); EVAL=0 skips the evaluations. Device: cuda when available (mrr.train --device).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py="$(bash "$root/scripts/setup-python.sh")"
run="${1:-runs/general}"
init="${2:-../models/minilm-l6-scifact}"
cd "$root/trainer"
mkdir -p "$run"
source "$root/scripts/train-stages.sh"
train_stages "$py" "$run" "$init" "${DISTILL_MIN:-90}" "${COMP_MIN:-30}" 3e-5 3e-4 30 --steps 100000 \
  --qa boolq,wikiqa,selqa,qnli --ict "${ICT:-1000}" --pseudo "${PSEUDO:-true}" \
  --student-ext-weight "${STUDENT_EXT:-1.0}" --queries-per-step "${QPS:-2}"
[ "${EVAL:-1}" = 0 ] && exit 0
ev() { [ -f "$run/$1" ] || "$py" -m mrr.evaluate --threads "${EVAL_THREADS:-2}" --out "$run/$1" "${@:2}"; }
ev calib.json --ckpt "$run/compensate.pt" --datasets scifact-dev --configs grid --k 20 --max-queries 51
ev qa-dev.json --ckpt "$run/compensate.pt" --datasets boolq-dev,wikiqa-dev,selqa-dev,qnli-dev \
  --configs d6,d3,d5-c3-r4,d4-c3-r8 --k 100 --max-queries "${QA_QUERIES:-0}"
ev datasets-all.json --ckpt "$run/compensate.pt" --datasets adi,medline,scifact-dev,cisi,cranfield \
  --configs d6,d3,d5-c3-r4,d4-c3-r8 --k 100 --fusion 1
