#!/usr/bin/env bash
# `npm test`: every suite — TypeScript unit (vitest, Node WASM parity), browser e2e (Chromium:
# WASM + WebGPU parity, demo, benchmark page), Python trainer tests. Fails if any suite fails.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh || { echo "setup failed"; exit 1; }
declare -A status
run() { local name="$1"; shift; echo; echo "=== $name: $*"; "$@"; status[$name]=$?; }
run typecheck npx tsc --noEmit -p tsconfig.json
run unit npx vitest run
run e2e node --import tsx e2e/run.ts
run python bash scripts/test-python.sh
echo
pass=0; fail=0
for k in typecheck unit e2e python; do
  if [ "${status[$k]}" -eq 0 ]; then echo "suite $k: ok"; pass=$((pass+1)); else echo "suite $k: FAILED (exit ${status[$k]})"; fail=$((fail+1)); fi
done
echo "suites: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
