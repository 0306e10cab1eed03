#!/usr/bin/env bash
# The one GPU call for the emitted kernels: build every cubin, check every pattern against the
# float64 reference, then time against FlexAttention and SDPA. Prepare first, on a machine with
# Node: `npx tsx bench/gpu/emitted/prepare.ts` (writes bench/gpu/emitted/build).
#   bash bench/gpu/emitted/run.sh [--budget SECONDS] [--sizes 16384,32768,65536,8192]
set -uo pipefail
cd "$(dirname "$0")/../../.."
export PYTHONUNBUFFERED=1
OUT="${OUT:-/tmp/attnc-out}"; mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv | tee "$OUT/gpu.txt"
t0=$(date +%s)
bash bench/gpu/emitted/build_cubins.sh bench/gpu/emitted/build > "$OUT/build.log" 2>&1
echo "cubins: $(grep -c '^built' "$OUT/build.log") built, $(grep -c '^FAILED' "$OUT/build.log") failed in $(( $(date +%s) - t0 )) s"
grep -A20 '^FAILED' "$OUT/build.log" | head -60
python3 bench/gpu/emitted/check_emitted.py bench/gpu/emitted/build/check 2>&1 | tee "$OUT/check.log"
check=${PIPESTATUS[0]}
if [ "${ATTNC_BWD:-0}" = "1" ] && [ -f bench/gpu/check_backward.py ]; then
  python3 bench/gpu/check_backward.py 2>&1 | tee "$OUT/backward.log" | tail -40
fi
python3 bench/gpu/emitted/bench_emitted.py bench/gpu/emitted/build/bench "$@" 2>&1 | tee "$OUT/bench.log" | grep -v Warning | tail -45
exit $check
