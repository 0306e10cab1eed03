#!/usr/bin/env bash
# Builds the cubin of every emitted pattern under DIR (default bench/gpu/emitted/build), in
# parallel, with the command the emitted .cu files name in their header comment.
set -uo pipefail
root="${1:-bench/gpu/emitted/build}"
jobs="${JOBS:-$(nproc)}"
build_one() {
  cu="$1"; dir="$(dirname "$cu")"; name="$(basename "$cu" .cu)"
  if (cd "$dir" && nvcc -cubin -gencode=arch=compute_90a,code=sm_90a -O3 -std=c++17 -I runtime \
        -Xptxas -v "$name.cu" -o "$name.cubin" >"$name.ptxas.log" 2>&1); then
    echo "built $dir/$name.cubin"
  else
    echo "FAILED $dir/$name.cu"; tail -20 "$dir/$name.ptxas.log"
  fi
}
export -f build_one
find "$root" -name '*.cu' -print0 | xargs -0 -n1 -P "$jobs" bash -c 'build_one "$0"'
