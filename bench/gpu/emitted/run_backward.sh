#!/usr/bin/env bash
# The one GPU call for the BACKWARD pass (docs/cuda-kernel.md "Backward"): builds every emitted
# module (forward <p>.cu and backward <p>_bwd.cu, nvcc, in parallel), checks dQ/dK/dV of every
# shipped pattern against float64 PyTorch autograd on the same mask, times forward+backward
# against FlexAttention at 16k for the static patterns, then trains a small causal LM with
# dense SDPA vs attnc patterns (bench/gpu/train/train_lm.py). At most about 8.5 minutes on an H100
# (the check and timing stop starting new cases after their budget), so it fits one 10-minute call.
#
# Prepare first, on a machine with Node (writes bench/gpu/emitted/build_bwd, about 10 MB):
#   npx tsx bench/gpu/emitted/prepare_backward.ts
# Then, on the GPU machine (carry bench/gpu/emitted/build_bwd):
#   bash bench/gpu/emitted/run_backward.sh [--no-train] [--no-bench]
# (BWD_BUDGET=SECONDS: budget of the check + timing script, default 290; with --no-train up to
# about 420 fits one 10-minute call.)
# Outputs in $OUT (default /tmp/attnc-out), 6 files: gpu.txt, build.log, backward.log,
# backward.json, train.log, train.json. Plot the training curves afterwards (no GPU needed):
#   python3 bench/gpu/train/plot_curves.py $OUT/train.json docs/img/train_curves.svg
set -uo pipefail
cd "$(dirname "$0")/../../.."
export PYTHONUNBUFFERED=1
OUT="${OUT:-/tmp/attnc-out}"; mkdir -p "$OUT"
ROOT=bench/gpu/emitted/build_bwd
train=1; bench_flag=""
for a in "$@"; do
  case "$a" in
    --no-train) train=0 ;;
    --no-bench) bench_flag="--no-bench" ;;
  esac
done
if [ ! -d "$ROOT/check" ]; then echo "missing $ROOT: run npx tsx bench/gpu/emitted/prepare_backward.ts first"; exit 2; fi
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv | tee "$OUT/gpu.txt"
nvcc --version | tail -1 >> "$OUT/gpu.txt"

# --- build: every .cu under build_bwd (forward without the sm80 fallback entries: the H100 runs sm90)
t0=$(date +%s)
build_one() {
  cu="$1"; dir="$(dirname "$cu")"; name="$(basename "$cu" .cu)"
  if (cd "$dir" && nvcc -cubin -gencode=arch=compute_90a,code=sm_90a -O3 -std=c++17 -DATTNC_NO_SM80 -I runtime \
        -Xptxas -v "$name.cu" -o "$name.cubin" > "$name.ptxas.log" 2>&1); then
    echo "built $dir/$name.cubin"
  else
    echo "FAILED $dir/$name.cu"; tail -20 "$dir/$name.ptxas.log"
  fi
}
export -f build_one
find "$ROOT" -name '*.cu' -print0 | xargs -0 -n1 -P "$(nproc)" bash -c 'build_one "$0"' > "$OUT/build.log" 2>&1
echo "cubins: $(grep -c '^built' "$OUT/build.log") built, $(grep -c '^FAILED' "$OUT/build.log") failed in $(( $(date +%s) - t0 )) s"
grep -A20 '^FAILED' "$OUT/build.log" | head -40
# registers / spills of the backward entries (one line per module)
for log in "$ROOT"/check/*/*_bwd.ptxas.log; do
  [ -f "$log" ] || continue
  printf '%s: ' "$(basename "$log" .ptxas.log)"
  grep -E "Compiling entry|registers|spill" "$log" | sed 's/ptxas info    : //' | paste - - - \
    | sed -E "s/.*entry function 'attnc_bwd_([a-z0-9_]+)'.*, ([0-9]+) bytes spill stores.*Used ([0-9]+) registers.*/\1 \3r \2s/" \
    | grep -v "Compiling" | tr '\n' ' '; echo
done >> "$OUT/build.log"

# --- check + timing (budget: about 5 minutes)
python3 bench/gpu/emitted/check_backward.py "$ROOT" --budget "${BWD_BUDGET:-290}" $bench_flag > "$OUT/backward.log" 2>&1
check=$?
grep -E "^(PASS|FAIL)" "$OUT/backward.log" | grep -c PASS | xargs echo "passed cases:"
grep -E "^FAIL" "$OUT/backward.log" | head -20
sed -n '/^pattern /,$p' "$OUT/backward.log"

# --- training (at most about 2.5 minutes)
if [ "$train" = 1 ]; then
  python3 bench/gpu/train/train_lm.py --modules "$ROOT/train" --budget 140 > "$OUT/train.log" 2>&1
  tail -8 "$OUT/train.log"
fi
echo "total $(( $(date +%s) - t0 )) s; outputs in $OUT: $(ls "$OUT" | tr '\n' ' ')"
exit $check
