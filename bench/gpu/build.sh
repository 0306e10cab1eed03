#!/usr/bin/env bash
# Builds the fixture cubins (sm_90a) on the development machine; the H100 machine only
# runs them. Writes bench/gpu/build/<pattern>.cubin and build/ptxas.log (registers,
# spills, wgmma serialisation warnings).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p build
: > build/ptxas.log
pids=()
for hdr in patterns/*.cuh; do
  name=$(basename "$hdr" .cuh)
  ( nvcc -cubin -gencode=arch=compute_90a,code=sm_90a -std=c++17 -O3 -Xptxas -v \
      -I ../../codegen/cuda/runtime -o "build/$name.cubin" -x cu "$hdr" > "build/$name.ptxas.log" 2>&1 \
    || { cat "build/$name.ptxas.log"; exit 1; } ) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for hdr in patterns/*.cuh; do
  name=$(basename "$hdr" .cuh)
  { echo "== $name"; grep -E "Compiling entry|registers|spill|C75" "build/$name.ptxas.log" | sed 's/ptxas info    : //'; } >> build/ptxas.log
done
# Backward modules (codegen/cuda/runtime/attnc_bwd*.cuh): pattern header + attnc_bwd.cuh,
# build/<pattern>.bwd.cubin (sm80 forward kernels left out), registers in build/ptxas_bwd.log.
# ATTNC_NO_BWD=1 skips them.
if [ -z "${ATTNC_NO_BWD:-}" ]; then
  : > build/ptxas_bwd.log
  pids=()
  for hdr in patterns/*.cuh; do
    name=$(basename "$hdr" .cuh)
    ( nvcc -cubin -gencode=arch=compute_90a,code=sm_90a -std=c++17 -O3 -Xptxas -v -DATTNC_NO_SM80 \
        -I ../../codegen/cuda/runtime -include "$hdr" -o "build/$name.bwd.cubin" \
        -x cu ../../codegen/cuda/runtime/attnc_bwd.cuh > "build/$name.bwd.ptxas.log" 2>&1 \
      || { cat "build/$name.bwd.ptxas.log"; exit 1; } ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  for hdr in patterns/*.cuh; do
    name=$(basename "$hdr" .cuh)
    { echo "== $name (bwd)"; grep -E "Compiling entry|registers|spill" "build/$name.bwd.ptxas.log" \
        | sed 's/ptxas info    : //' | paste - - - | grep attnc_bwd_; } >> build/ptxas_bwd.log
  done
  if grep -E "[1-9][0-9]* bytes spill" build/ptxas_bwd.log; then echo "WARNING: backward spills"; fi
fi
if grep -q "C7515\|C7510" build/ptxas.log; then echo "WARNING: wgmma serialised, see build/ptxas.log"; fi
if grep -E "[1-9][0-9]* bytes spill" build/ptxas.log; then echo "WARNING: spills"; fi
echo "built: $(ls build/*.cubin | tr '\n' ' ')"
