#!/usr/bin/env bash
# One call on the H100 machine: SASS sanity, correctness check of every fixture/path/
# dtype/head-dim against float64, then timings vs SDPA and FlexAttention. Cubins are
# built beforehand on the development machine (bench/gpu/build.sh) and travel with the
# working tree. Logs and results.json go to $OUT; the summary table is printed last.
#   usage: bench/gpu/run_all.sh [extra args for check_and_bench.py]
set -uo pipefail
cd "$(dirname "$0")"
OUT=${OUT:-$(mktemp -d)}
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv > "$OUT/gpu.txt" 2>&1
{
  for c in build/*.cubin; do
    echo "== $c: HGMMA $(cuobjdump -sass "$c" | grep -c HGMMA), HMMA $(cuobjdump -sass "$c" | grep -c HMMA)," \
         "LDL/STL $(cuobjdump -sass "$c" | grep -cE 'LDL|STL')"
  done
} > "$OUT/sass.txt" 2>&1
cat "$OUT/sass.txt"
# (The backward pass is checked on the emitted modules: bench/gpu/all.sh.)
timeout 560 python3 check_and_bench.py --out "$OUT" "$@" 2>&1 | tee "$OUT/log.txt"
exit "${PIPESTATUS[0]}"
