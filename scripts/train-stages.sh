# Sourced by scripts/train-general.sh and scripts/train-continue.sh: the two time-boxed stages
# that continue a model (cascaded self-distillation, then compensation), each skipped when its
# run-dir/<stage>.json says it is done.
#   train_stages PY RUN INIT DISTILL_MIN COMP_MIN LR HEAD_LR WARMUP [mrr.train flags of both stages...]
#   INIT: a bundle folder or checkpoint; 'pretrained' starts from all-MiniLM-L6-v2.
train_stages() {
  local py="$1" run="$2" init="$3" dmin="$4" cmin="$5" lr="$6" head_lr="$7" warmup="$8"
  shift 8
  local initarg=()
  [ "$init" != pretrained ] && initarg=(--init "$init")
  [ -f "$run/distill.json" ] || "$py" -m mrr.train --stage distill "${initarg[@]}" --max-minutes "$dmin" \
    --lr "$lr" --head-lr "$head_lr" --warmup "$warmup" --ext-weight 2 --out "$run" --eval-queries 0 "$@"
  [ -f "$run/compensate.json" ] || "$py" -m mrr.train --stage compensate --init "$run/distill.pt" --max-minutes "$cmin" \
    --warmup 20 --out "$run" --eval-queries 0 "$@"
}
