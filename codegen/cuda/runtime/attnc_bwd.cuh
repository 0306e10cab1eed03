// attnc CUDA runtime: backward pass entry points (FlashAttention-2 style).
// The backward module is the pattern header (which already includes attnc_fwd.cuh) followed
// by this file, e.g.
//   nvcc -cubin ... -I codegen/cuda/runtime -include pattern.cuh -x cu codegen/cuda/runtime/attnc_bwd.cuh
// (or the emitter appends `#include "attnc_bwd.cuh"` after `#include "attnc_fwd.cuh"`).
// On top of the forward hooks the header must define (docs/cuda-kernel.md, "Backward"):
//   int   num_query_tiles(P, b, l, h, kt)           query tiles touching key tile kt (transposed schedule)
//   int   query_tile(P, b, l, h, kt, j, bool& full)  the j-th of them; full exactly as in key_tile
//   float score_mod_grad(P, s, b, l, h, q, k)       d score_mod(s) / d s (called only when HAS_SCORE_MOD)
// Kernels (extern "C", one `attnc::BwdParams` by value), the same names on both paths:
//   attnc_bwd_pre_{bf16,fp16}_d{64,128}   delta = rowsum(dO * O)          grid (ceil(Nq/PRE_ROWS), H, B)
//   attnc_bwd_dkdv_{bf16,fp16}_d{64,128}  dK, dV per key tile (GQA summed) grid (ceil(Nk/attnc_bwd_dkdv_keys), Hkv, B)
//   attnc_bwd_dq_{bf16,fp16}_d{64,128}    dQ per query tile                grid (ceil(Nq/128), H, B)
// sm_90a builds get the wgmma path (attnc_bwd_sm90.cuh: dkdv also sums dQ into an fp32
// accumulator with atomics, pre zeroes it, dq converts it; `attnc_bwd_dq_accum` = 1 tells the
// loader to allocate it); other targets the mma.sync path (attnc_bwd_sm80.cuh: dq recomputes
// S and dP, no accumulator, `attnc_bwd_dq_accum` = 0).
// Each exports `<name>_smem` (dynamic shared memory bytes) and `<name>_threads` (block size).
#ifndef ATTNC_BWD_CUH
#define ATTNC_BWD_CUH

namespace attnc {
#ifndef ATTNC_QUERY_TILE_ROW  // no row form in the header (common.cuh)
ATTNC_TILE_ROW_FALLBACK(QueryTileRow, query, kt)
#endif
}  // namespace attnc

#include "attnc_bwd_sm80.cuh"
#include "attnc_bwd_sm90.cuh"

#define ATTNC_BWD_ENTRY(NAME, IMPL, CFG, ELEM, D)                                           \
  extern "C" __device__ const int NAME##_smem = attnc::CFG<D, attnc::BLOCK_N>::SMEM_BYTES;    \
  extern "C" __device__ const int NAME##_threads = attnc::CFG<D, attnc::BLOCK_N>::NTHREADS;   \
  extern "C" __global__ void __launch_bounds__(attnc::CFG<D, attnc::BLOCK_N>::NTHREADS, 1)    \
      NAME(const attnc::BwdParams p) {                                                        \
    attnc::IMPL<ELEM, D, attnc::BLOCK_N>(p.t, p.pattern);                                     \
  }

// delta = rowsum(dO * O) on both paths (and the accumulator's zeroing where there is one)
ATTNC_BWD_ENTRY(attnc_bwd_pre_bf16_d64, bwd_pre, BwdPreConfig, __nv_bfloat16, 64)
ATTNC_BWD_ENTRY(attnc_bwd_pre_bf16_d128, bwd_pre, BwdPreConfig, __nv_bfloat16, 128)
ATTNC_BWD_ENTRY(attnc_bwd_pre_fp16_d64, bwd_pre, BwdPreConfig, __half, 64)
ATTNC_BWD_ENTRY(attnc_bwd_pre_fp16_d128, bwd_pre, BwdPreConfig, __half, 128)

// dK/dV and dQ entries of one path, for both element types and head dims.
#define ATTNC_BWD_PATH(DKDV, DKDV_CFG, DQ, DQ_CFG)                                    \
  ATTNC_BWD_ENTRY(attnc_bwd_dkdv_bf16_d64, DKDV, DKDV_CFG, __nv_bfloat16, 64)         \
  ATTNC_BWD_ENTRY(attnc_bwd_dkdv_bf16_d128, DKDV, DKDV_CFG, __nv_bfloat16, 128)       \
  ATTNC_BWD_ENTRY(attnc_bwd_dkdv_fp16_d64, DKDV, DKDV_CFG, __half, 64)                \
  ATTNC_BWD_ENTRY(attnc_bwd_dkdv_fp16_d128, DKDV, DKDV_CFG, __half, 128)              \
  ATTNC_BWD_ENTRY(attnc_bwd_dq_bf16_d64, DQ, DQ_CFG, __nv_bfloat16, 64)               \
  ATTNC_BWD_ENTRY(attnc_bwd_dq_bf16_d128, DQ, DQ_CFG, __nv_bfloat16, 128)             \
  ATTNC_BWD_ENTRY(attnc_bwd_dq_fp16_d64, DQ, DQ_CFG, __half, 64)                      \
  ATTNC_BWD_ENTRY(attnc_bwd_dq_fp16_d128, DQ, DQ_CFG, __half, 128) \
  extern "C" __device__ const int attnc_bwd_dkdv_keys = attnc::DKDV_CFG<128, attnc::BLOCK_N>::KEYS;

// ATTNC_BWD_FORCE_SM80 builds the mma.sync path on sm_90a too (bench/gpu/emitted/bwd_profile.py
// compares the two).
#if (defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)) || defined(ATTNC_BWD_FORCE_SM80)
// mma.sync path (sm_80 .. sm_90 without the a features): dQ recomputed in its own pass.
ATTNC_BWD_PATH(bwd_dkdv_sm80, BwdDkdvConfig, bwd_dq_sm80, BwdDqConfig)
extern "C" __device__ const int attnc_bwd_dq_accum = 0;
#else
// sm_90a (wgmma): dQ summed into an fp32 accumulator by the dK/dV kernel, converted by dq.
ATTNC_BWD_PATH(bwd_dkdv_sm90, Sm90BwdConfig, bwd_dq_convert, Sm90DqConvertConfig)
// The loader allocates the fp32 dQ accumulator when this is 1.
extern "C" __device__ const int attnc_bwd_dq_accum = 1;
#endif

#endif  // ATTNC_BWD_CUH
