// attnc CUDA runtime: backward pass entry points (FlashAttention-2 style).
// The backward module is the pattern header (which already includes attnc_fwd.cuh) followed
// by this file, e.g.
//   nvcc -cubin ... -I codegen/cuda/runtime -include pattern.cuh -x cu codegen/cuda/runtime/attnc_bwd.cuh
// (or the emitter appends `#include "attnc_bwd.cuh"` after `#include "attnc_fwd.cuh"`).
// On top of the forward hooks the header must define (docs/cuda-kernel.md, "Backward"):
//   int   num_query_tiles(P, b, l, h, kt)           query tiles touching key tile kt (transposed schedule)
//   int   query_tile(P, b, l, h, kt, j, bool& full)  the j-th of them; full exactly as in key_tile
//   float score_mod_grad(P, s, b, l, h, q, k)       d score_mod(s) / d s (called only when HAS_SCORE_MOD)
// Kernels (extern "C", one `attnc::BwdParams` by value, mma.sync m16n8k16 + ldmatrix, sm_80+):
//   attnc_bwd_pre_{bf16,fp16}_d{64,128}   delta = rowsum(dO * O)          grid (ceil(Nq/PRE_ROWS), H, B)
//   attnc_bwd_dkdv_{bf16,fp16}_d{64,128}  dK, dV per key tile (GQA summed) grid (ceil(Nk/BLOCK_N), Hkv, B)
//   attnc_bwd_dq_{bf16,fp16}_d{64,128}    dQ per query tile (atomic free)  grid (ceil(Nq/128), H, B)
// Each exports `<name>_smem` (dynamic shared memory bytes) and `<name>_threads` (block size).
#ifndef ATTNC_BWD_CUH
#define ATTNC_BWD_CUH

#include "attnc_bwd_sm80.cuh"

#define ATTNC_BWD_ENTRY(NAME, IMPL, CFG, ELEM, D)                                           \
  extern "C" __device__ const int NAME##_smem = attnc::CFG<D, attnc::BLOCK_N>::SMEM_BYTES;    \
  extern "C" __device__ const int NAME##_threads = attnc::CFG<D, attnc::BLOCK_N>::NTHREADS;   \
  extern "C" __global__ void __launch_bounds__(attnc::CFG<D, attnc::BLOCK_N>::NTHREADS, 1)    \
      NAME(const attnc::BwdParams p) {                                                        \
    attnc::IMPL<ELEM, D, attnc::BLOCK_N>(p.t, p.pattern);                                     \
  }

ATTNC_BWD_ENTRY(attnc_bwd_pre_bf16_d64, bwd_pre, BwdPreConfig, __nv_bfloat16, 64)
ATTNC_BWD_ENTRY(attnc_bwd_pre_bf16_d128, bwd_pre, BwdPreConfig, __nv_bfloat16, 128)
ATTNC_BWD_ENTRY(attnc_bwd_pre_fp16_d64, bwd_pre, BwdPreConfig, __half, 64)
ATTNC_BWD_ENTRY(attnc_bwd_pre_fp16_d128, bwd_pre, BwdPreConfig, __half, 128)
ATTNC_BWD_ENTRY(attnc_bwd_dkdv_bf16_d64, bwd_dkdv_sm80, BwdDkdvConfig, __nv_bfloat16, 64)
ATTNC_BWD_ENTRY(attnc_bwd_dkdv_bf16_d128, bwd_dkdv_sm80, BwdDkdvConfig, __nv_bfloat16, 128)
ATTNC_BWD_ENTRY(attnc_bwd_dkdv_fp16_d64, bwd_dkdv_sm80, BwdDkdvConfig, __half, 64)
ATTNC_BWD_ENTRY(attnc_bwd_dkdv_fp16_d128, bwd_dkdv_sm80, BwdDkdvConfig, __half, 128)
ATTNC_BWD_ENTRY(attnc_bwd_dq_bf16_d64, bwd_dq_sm80, BwdDqConfig, __nv_bfloat16, 64)
ATTNC_BWD_ENTRY(attnc_bwd_dq_bf16_d128, bwd_dq_sm80, BwdDqConfig, __nv_bfloat16, 128)
ATTNC_BWD_ENTRY(attnc_bwd_dq_fp16_d64, bwd_dq_sm80, BwdDqConfig, __half, 64)
ATTNC_BWD_ENTRY(attnc_bwd_dq_fp16_d128, bwd_dq_sm80, BwdDqConfig, __half, 128)

#endif  // ATTNC_BWD_CUH
