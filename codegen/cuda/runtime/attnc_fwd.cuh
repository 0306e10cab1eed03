// attnc CUDA runtime: forward kernel entry points.
// A per-pattern header (written by the emitter, see docs/cuda-kernel.md) defines, in
// namespace attnc, BLOCK_M, BLOCK_N, HAS_SCORE_MOD, REVERSE_QUERY_TILES, PatternParams
// and the four hooks of codegen/HOOKS.md, then includes this file. Compiling that header
// yields extern "C" kernels with stable names:
//   attnc_fwd_{bf16,fp16}_d{64,128}        sm_90a wgmma path (the fast one)
//   attnc_fwd_sm80_{bf16,fp16}_d{64,128}   mma.sync path (portable fallback, sm_80+)
// each taking one `attnc::FwdParams` by value, launched on a (num_q_tiles, H, B) grid of
// 256-thread blocks, with the dynamic shared memory given by `<name>_smem` (a __device__
// int in the same module).
#pragma once

#include "common.cuh"

namespace attnc {
static_assert(BLOCK_M == 128, "both paths use 128-row query tiles");
static_assert(BLOCK_N == 64 || BLOCK_N == 128, "key tiles are 64 or 128 wide");

struct FwdParams {
  FwdTensors t;
  PatternParams pattern;
};

#ifndef ATTNC_KEY_TILE_ROW  // no row form in the header (common.cuh)
ATTNC_TILE_ROW_FALLBACK(KeyTileRow, key, qt)
#endif
}  // namespace attnc

#include "attnc_fwd_sm80.cuh"
#include "attnc_fwd_sm90.cuh"

#define ATTNC_ENTRY(NAME, IMPL, CFG, ELEM, D)                                        \
  extern "C" __device__ const int NAME##_smem = attnc::CFG<D, attnc::BLOCK_N>::SMEM_BYTES; \
  extern "C" __global__ void __launch_bounds__(attnc::THREADS, 1)                    \
      NAME(const attnc::FwdParams p) {                                               \
    attnc::IMPL<ELEM, D, attnc::BLOCK_N>(p.t, p.pattern);                            \
  }

#ifndef ATTNC_NO_SM80
ATTNC_ENTRY(attnc_fwd_sm80_bf16_d64, fwd_sm80, Sm80Config, __nv_bfloat16, 64)
ATTNC_ENTRY(attnc_fwd_sm80_bf16_d128, fwd_sm80, Sm80Config, __nv_bfloat16, 128)
ATTNC_ENTRY(attnc_fwd_sm80_fp16_d64, fwd_sm80, Sm80Config, __half, 64)
ATTNC_ENTRY(attnc_fwd_sm80_fp16_d128, fwd_sm80, Sm80Config, __half, 128)
#endif

// wgmma exists only on sm_90a; on other targets these names are simply absent.
#if (!defined(__CUDA_ARCH__) || defined(__CUDA_ARCH_FEAT_SM90_ALL)) && !defined(ATTNC_HOST_EMU)
ATTNC_ENTRY(attnc_fwd_bf16_d64, fwd_sm90, Sm90Config, __nv_bfloat16, 64)
ATTNC_ENTRY(attnc_fwd_bf16_d128, fwd_sm90, Sm90Config, __nv_bfloat16, 128)
ATTNC_ENTRY(attnc_fwd_fp16_d64, fwd_sm90, Sm90Config, __half, 64)
ATTNC_ENTRY(attnc_fwd_fp16_d128, fwd_sm90, Sm90Config, __half, 128)
#endif
