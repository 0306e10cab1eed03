#!/usr/bin/env bash
# Everything on the GPU machine in one call (at most about 9 minutes on an H100): build every emitted
# module in parallel, check the forward of every pattern (static and runtime-scheduled) and the
# backward against float64 PyTorch, time the forward against FlexAttention and SDPA, time
# tile-shape variants, and train a small causal LM (dense vs attnc patterns). Each step has
# its own time limit, so one slow step cannot take the others' results with it.
#
# Prepare on a machine with Node (no GPU needed):
#   npx tsx bench/gpu/emitted/prepare.ts && npx tsx bench/gpu/emitted/prepare_backward.ts
# (the two folders must stay under 64 MiB together: prepare.ts --bench-sizes / --skip-check)
# then run here, carrying bench/gpu/emitted/build and bench/gpu/emitted/build_bwd:
#   bash bench/gpu/all.sh
# Outputs in $OUT: all.log and the JSON of each step (emitted_check, emitted_bench, backward,
# train, variants). Limits (seconds) via the environment: BWD_S, FWD_BENCH_S, TRAIN_S; FWD_SIZES
# (default 16384) and FWD_PATTERNS select the forward timing cases, FLEX_MAX_N (default 32768) the
# longest one Flex is timed at; STEPS (default
# build,fwd,bwd,bench,variants,train; bwdprof, ncu, ncufwd, ncubwd and ncusrc on request) selects the steps, e.g. STEPS=build,bwd.
set -uo pipefail
cd "$(dirname "$0")/../.."
export PYTHONUNBUFFERED=1
OUT="${OUT:-/tmp/attnc-out}"; mkdir -p "$OUT"
exec > >(tee -a "$OUT/all.log") 2>&1
t0=$(date +%s)
stamp() { echo "== [$(( $(date +%s) - t0 )) s] $*"; }
want() { [[ ",${STEPS:-build,fwd,bwd,bench,variants,train}," == *",$1,"* ]]; }
fwd=0; bwd=0
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader
python3 -c "import torch; print('torch', torch.__version__)"

if want build; then
stamp "build (sm_90a, parallel)"
build_one() {
  cu="$1"; dir="$(dirname "$cu")"; name="$(basename "$cu" .cu)"
  if (cd "$dir" && nvcc -cubin -gencode=arch=compute_90a,code=sm_90a -O3 -std=c++17 -DATTNC_NO_SM80 -I runtime \
        -Xptxas -v "$name.cu" -o "$name.cubin" > "$name.ptxas.log" 2>&1); then
    echo "built $dir/$name.cubin"
  else
    echo "FAILED $dir/$name.cu"; tail -12 "$dir/$name.ptxas.log"
  fi
}
export -f build_one
sizes_re=$(echo "${FWD_SIZES:-16384}" | sed 's/,/|/g')
{ find bench/gpu/emitted/build/check bench/gpu/emitted/build/exp -name '*.cu' -not -name '*_bwd.cu' 2>/dev/null
  find bench/gpu/emitted/build/bench -name '*.cu' -not -name '*_bwd.cu' | grep -E "_(${sizes_re})/"
  find bench/gpu/emitted/build_bwd -name '*.cu'; } | tr '\n' '\0' \
  | xargs -0 -n1 -P "$(nproc)" bash -c 'build_one "$0"' > /tmp/attnc-build.log 2>&1
echo "cubins: $(grep -c '^built' /tmp/attnc-build.log) built, $(grep -c '^FAILED' /tmp/attnc-build.log) failed"
grep -A12 '^FAILED' /tmp/attnc-build.log | head -40
# every spilling entry, with its module (ptxas prints the entry, then its spill line)
spills=$(for f in $(find bench/gpu/emitted -name '*.ptxas.log'); do
  awk -v f="$f" "/Compiling entry/ { e = \$0 } /[1-9][0-9]* bytes spill stores/ { print \"  \" f \": \" e \" -- \" \$0 }" "$f"
done | sed 's/ptxas info    : //')
echo "spilling entries: $(printf '%s' "$spills" | grep -c .)"
if [ -n "$spills" ]; then printf '%s\n' "$spills" | head -20; fi
fi

if want fwd; then
stamp "forward check (every pattern, float64 reference)"
timeout 150 python3 bench/gpu/emitted/check_emitted.py bench/gpu/emitted/build/check 2>&1 | grep -E "^(PASS|FAIL|EMITTED)|Error|error" | head -60
fwd=${PIPESTATUS[0]}
fi

if want bwd; then
stamp "backward check (dQ, dK, dV vs float64 autograd), then forward and forward+backward timing vs Flex at 16k"
timeout "${BWD_S:-250}" python3 bench/gpu/emitted/check_backward.py bench/gpu/emitted/build_bwd --budget "$(( ${BWD_S:-250} - 15 ))" 2>&1 \
  | grep -v -i warn | grep -E "^(PASS|FAIL|pattern|BACKWARD)|^[a-z_0-9]+ +[0-9]|rror|budget" | head -80
bwd=${PIPESTATUS[0]}
fi

if want bwdprof; then
stamp "backward profile: dQ by bulk reduce-add vs atomics, and with the dQ addition / product switched off"
dirs=$(for p in $(echo "${BWDPROF_PATTERNS:-causal,s2_attention}" | tr "," " "); do echo "bench/gpu/emitted/build_bwd/bench/${p}_16384"; done)
timeout "${BWDPROF_S:-120}" python3 bench/gpu/emitted/bwd_profile.py $dirs --variants "${BWDPROF_VARIANTS:-full,red2,dq_own_keys,no_dq_add}" 2>&1 | grep -E '^\{|rror' | tee "$OUT/bwd_profile.json"
fi

# the backward module of a bench case rebuilt with line info (Nsight Compute's source view)
build_bwd_lineinfo() {
  local name; name="$(basename "$(ls "$1"/*_bwd.cu | head -1)" .cu)"
  (cd "$1" && nvcc -cubin -gencode=arch=compute_90a,code=sm_90a -O3 -std=c++17 -DATTNC_NO_SM80 -lineinfo -I runtime "$name.cu" -o "$name.cubin")
}

if want ncubwd; then
stamp "Nsight Compute: the dK/dV kernel (stalls, instruction mix, source hot spots)"
for m in $(echo "${NCU_BWD:-causal_16384}" | tr "," " "); do
  d="bench/gpu/emitted/build_bwd/bench/$m"; build_bwd_lineinfo "$d"
  timeout "${NCU_S:-120}" ncu --kernel-name regex:'attnc_bwd_dkdv_bf16' --launch-count 1 --import-source yes \
    --section SpeedOfLight --section InstructionStats --section WarpStateStats --section SchedulerStats --section SourceCounters \
    --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis python3 bench/gpu/emitted/ncu_driver.py "$d" > "$OUT/ncu_bwd_$m.txt" 2>&1
  echo "--- $m"
  grep -E "Duration|Executed Instructions|Issue Slots Busy|Warp Cycles Per Issued|No Eligible|Stall|Tensor|Pipe|Warning|Location|  [0-9]+ +attnc" "$OUT/ncu_bwd_$m.txt" | grep -v "^    ---" | head -50
done
fi

if want ncusrc; then
stamp "Nsight Compute: warp stall samples per SASS instruction of the dK/dV kernel"
for m in $(echo "${NCU_SRC:-sliding_window_16384}" | tr "," " "); do
  d="bench/gpu/emitted/build_bwd/bench/$m"; build_bwd_lineinfo "$d"
  rep="/tmp/ncu_src_$m"
  timeout "${NCU_S:-120}" ncu --kernel-name regex:'attnc_bwd_dkdv_bf16' --launch-count 1 --import-source yes \
    --section SourceCounters --section WarpStateStats -o "$rep" -f python3 bench/gpu/emitted/ncu_driver.py "$d" > /dev/null 2>&1
  ncu --import "$rep.ncu-rep" --page source --csv --print-source sass > "$OUT/ncu_src_$m.csv" 2> "$OUT/ncu_src_$m.err"
  echo "--- $m: $(wc -l < "$OUT/ncu_src_$m.csv") lines of per-instruction samples"
done
fi

if want ncu; then
stamp "Nsight Compute: forward and dK/dV kernels of causal 16k (what limits them)"
timeout "${NCU_S:-150}" ncu --kernel-name regex:'attnc_(fwd|bwd_dkdv)_bf16' --launch-count 2 \
  --section SpeedOfLight --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis --section Occupancy \
  --section WarpStateStats --section LaunchStats python3 bench/gpu/emitted/ncu_driver.py bench/gpu/emitted/build_bwd/bench/causal_16384 \
  > "$OUT/ncu_causal.txt" 2>&1
grep -E "attnc_|Duration|Throughput|Pipe|Issue|Stall|Occupancy|Registers|Eligible|Warp Cycles|Bank" "$OUT/ncu_causal.txt" | head -90
fi

if want ncufwd; then
stamp "Nsight Compute: the forward kernel of several patterns (instruction mix, stalls, source hot spots)"
for m in $(echo "${NCU_FWD:-causal_16384,sliding_window_16384,moa_16384,packed_documents_16384}" | tr "," " "); do
  d="bench/gpu/emitted/build/bench/$m"; name="$(basename "$(ls "$d"/*.cu | grep -v _bwd.cu | head -1)" .cu)"
  (cd "$d" && nvcc -cubin -gencode=arch=compute_90a,code=sm_90a -O3 -std=c++17 -DATTNC_NO_SM80 -lineinfo -I runtime "$name.cu" -o "$name.cubin")
  timeout "${NCU_S:-100}" ncu --kernel-name regex:'attnc_fwd_bf16' --launch-count 1 --import-source yes \
    --section SpeedOfLight --section InstructionStats --section WarpStateStats --section SchedulerStats --section SourceCounters \
    python3 bench/gpu/emitted/ncu_fwd_driver.py "$d" > "$OUT/ncu_fwd_$m.txt" 2>&1
  echo "--- $m"
  grep -E "Duration|Executed Instructions|Issue Slots Busy|Warp Cycles Per Issued|No Eligible|Stall|Branch Instructions |Tensor|Warning|hot|Location|  [0-9]+ +attnc" "$OUT/ncu_fwd_$m.txt" | grep -v "^    ---" | head -40
done
fi

if want bench; then
stamp "forward timing vs FlexAttention / SDPA (runtime patterns and dense causal first)"
timeout "${FWD_BENCH_S:-130}" python3 bench/gpu/emitted/bench_emitted.py bench/gpu/emitted/build/bench \
  --budget "$(( ${FWD_BENCH_S:-130} - 30 ))" --sizes "${FWD_SIZES:-16384}" --flex-max-n "${FLEX_MAX_N:-32768}" --patterns "${FWD_PATTERNS:-causal,packed_documents,sparsek,sliding_window,bigbird,s2_attention,moa,moa_tile64}" 2>&1 \
  | grep -v -i warn | grep -E "^\[|^pattern|^[a-z_0-9]+ +[0-9]" | cut -c1-400
fi

if want variants && [ -d bench/gpu/emitted/build/exp ]; then
  stamp "tile-shape variants"
  for d in bench/gpu/emitted/build/exp/*/; do
    c=$(ls "$d"*.cubin 2>/dev/null | head -1)
    [ -n "$c" ] && timeout "${VARIANT_S:-40}" python3 bench/gpu/emitted/variants.py "$d" "$(basename "$d")=$c" 2>&1 | grep '^{'
  done > "$OUT/variants.json"
  cat "$OUT/variants.json"
fi

if want train; then
stamp "training (dense SDPA vs attnc patterns)"
timeout "${TRAIN_S:-130}" python3 bench/gpu/train/train_lm.py --modules bench/gpu/emitted/build_bwd/train --budget "$(( ${TRAIN_S:-130} - 20 ))" 2>&1 | grep -v -i warn | tail -12
fi
stamp "done: forward check rc=$fwd, backward check rc=$bwd; outputs: $(ls "$OUT" | tr '\n' ' ')"
exit $(( fwd != 0 || bwd != 0 ))
