// attnc CUDA runtime, part of the kernel skeleton (codegen/cuda/runtime/).
// Shared by both forward paths: the kernel parameter block, element-type traits,
// cp.async helpers and the 128-byte-swizzled shared-memory tile layout that both the
// mma.sync (ldmatrix) path and the wgmma (descriptor) path read.
#pragma once

#if defined(ATTNC_HOST_EMU)  // the mma.sync path under host emulation (test/codegen/cudaEmuMma.hpp)
#include ATTNC_HOST_EMU
#else
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif
#if defined(__CUDACC_RTC__)  // NVRTC has no libc headers
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
#else
#include <stdint.h>
#endif

// Schedule rows (codegen/HOOKS.md "Schedule rows"): a pattern header without the row form (one
// class, CSR or runtime classes, or a hand-written header) gets, from attnc_fwd.cuh /
// attnc_bwd.cuh, a row that keeps the hook arguments and a KIND_tile_at that calls KIND_tile.
#define ATTNC_TILE_ROW_FALLBACK(ROW, KIND, X)                                                            \
  struct ROW {                                                                                             \
    int b, l, h, X;                                                                                        \
  };                                                                                                       \
  __device__ __forceinline__ ROW KIND##_tile_row(const PatternParams&, int b, int l, int h, int X) {       \
    return ROW{b, l, h, X};                                                                                \
  }                                                                                                        \
  __device__ __forceinline__ int KIND##_tile_at(const PatternParams& P, const ROW& r, int j, bool& full) { \
    return KIND##_tile(P, r.b, r.l, r.h, r.X, j, full);                                                    \
  }

namespace attnc {

constexpr float LOG2E = 1.4426950408889634f;
constexpr float LN2 = 0.6931471805599453f;
// -inf without math.h's INFINITY (NVRTC has no math.h)
__device__ __forceinline__ float neg_inf() { return __int_as_float(0xff800000); }
constexpr int THREADS = 256;  // both paths: 8 warps = 2 warpgroups

// ---------------------------------------------------------------------------
// Kernel parameters: one plain struct, passed by value. The layout is part of the
// loader contract (codegen/cuda/python/attnc_runtime.py mirrors it with ctypes);
// PatternParams (from the per-pattern header) is appended at the end.
// Strides are in elements; the head dimension must be contiguous (stride 1).
// ---------------------------------------------------------------------------
struct FwdTensors {
  const void* q;   // [B, H,   Nq, D]
  const void* k;   // [B, Hkv, Nk, D]
  const void* v;   // [B, Hkv, Nk, D]
  void* o;         // [B, H,   Nq, D], same dtype as q
  float* lse;      // [B, H, Nq] contiguous, natural log
  long long q_sb, q_sh, q_sn;
  long long k_sb, k_sh, k_sn;
  long long v_sb, v_sh, v_sn;
  long long o_sb, o_sh, o_sn;
  int B, H, Hkv, Nq, Nk;
  int layer;         // l passed to the hooks
  float scale;       // softmax scale (logits are q.k * scale), > 0
  float scale_log2;  // scale * log2(e)
};

// ---------------------------------------------------------------------------
// Element types
// ---------------------------------------------------------------------------
template <typename T> struct ElemTraits;
template <> struct ElemTraits<__nv_bfloat16> {
  static __device__ __forceinline__ uint32_t pack2(float lo, float hi) {
    __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&v);
  }
};
template <> struct ElemTraits<__half> {
  static __device__ __forceinline__ uint32_t pack2(float lo, float hi) {
    __half2 v = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&v);
  }
};

// ---------------------------------------------------------------------------
// Small PTX helpers
// ---------------------------------------------------------------------------
#if !defined(ATTNC_HOST_EMU)  // host emulation: test/codegen/cudaEmuMma.hpp defines these
__device__ __forceinline__ uint32_t smem_u32(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16-byte async copy; when !valid the destination is zero-filled and nothing is read
// (src must still be a mapped address, callers pass the tensor base).
__device__ __forceinline__ void cp_async_16(uint32_t dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src),
               "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N> __device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}
__device__ __forceinline__ void st_shared_b32(uint32_t addr, uint32_t v) {
  asm volatile("st.shared.b32 [%0], %1;\n" ::"r"(addr), "r"(v) : "memory");
}
__device__ __forceinline__ void st_shared_v2_f32(uint32_t addr, float x, float y) {
  asm volatile("st.shared.v2.f32 [%0], {%1, %2};\n" ::"r"(addr), "f"(x), "f"(y) : "memory");
}
__device__ __forceinline__ void st_shared_f32(uint32_t addr, float v) {
  asm volatile("st.shared.f32 [%0], %1;\n" ::"r"(addr), "f"(v) : "memory");
}
__device__ __forceinline__ float ld_shared_f32(uint32_t addr) {
  float v;
  asm volatile("ld.shared.f32 %0, [%1];\n" : "=f"(v) : "r"(addr));
  return v;
}
__device__ __forceinline__ int ld_shared_s32(uint32_t addr) {
  int v;
  asm volatile("ld.shared.b32 %0, [%1];\n" : "=r"(v) : "r"(addr));
  return v;
}
__device__ __forceinline__ uint2 ld_shared_v2(uint32_t addr) {
  uint2 v;
  asm volatile("ld.shared.v2.b32 {%0, %1}, [%2];\n" : "=r"(v.x), "=r"(v.y) : "r"(addr));
  return v;
}
__device__ __forceinline__ uint4 ld_shared_v4(uint32_t addr) {
  uint4 v;
  asm volatile("ld.shared.v4.b32 {%0, %1, %2, %3}, [%4];\n" : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "r"(addr));
  return v;
}
#endif
// Orders this thread's generic-proxy shared-memory writes (cp.async included) before
// later async-proxy reads (wgmma operands). Needed on sm_90 before the barrier.
__device__ __forceinline__ void fence_proxy_async() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
#endif
}
#if !defined(ATTNC_HOST_EMU_SM90)  // host emulation of sm_90: test/codegen/cudaEmuWgmma.hpp defines these
// mbarrier (sm_80+): phase-tracked barriers in shared memory, used by the sm_90 path to
// hand K/V stages between the threads that load them and the warpgroups that read them
// without a CTA-wide barrier per tile.
__device__ __forceinline__ void mbarrier_init(uint32_t bar, int count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}
__device__ __forceinline__ void mbarrier_arrive(uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}
// Arrives once all cp.async issued so far by this thread have landed (counts against the
// expected arrivals set at init).
__device__ __forceinline__ void cp_async_mbarrier_arrive(uint32_t bar) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(bar) : "memory");
}
// Waits until the phase with the given parity has completed.
__device__ __forceinline__ void mbarrier_wait(uint32_t bar, int parity) {
  asm volatile(
      "{\n.reg .pred done;\nWAIT_%=:\n"
      "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
      "@!done bra WAIT_%=;\n}\n" ::"r"(bar),
      "r"(parity)
      : "memory");
}

// Barrier over `count` threads with a named id (1..15); id 0 is __syncthreads.
__device__ __forceinline__ void named_barrier(int id, int count) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(count) : "memory");
}
#endif

// ---------------------------------------------------------------------------
// Shared-memory tile layout (both paths).
// A tile of ROWS x D elements (16-bit) is stored as D/64 column blocks; each block is
// ROWS rows of 128 bytes (64 elements), and inside each 1024-byte group of 8 rows the
// 16-byte chunk c of row r sits at chunk c ^ (r % 8) -- the 128B swizzle that wgmma
// descriptors understand (SWIZZLE_128B, 1024-byte-aligned atoms) and that makes the
// ldmatrix accesses of the mma.sync path conflict free.
// ---------------------------------------------------------------------------
template <int ROWS>
__device__ __forceinline__ uint32_t tile_offset(int row, int chunk /* 16B chunk along D */) {
  return (chunk >> 3) * (ROWS * 128) + row * 128 + (((chunk & 7) ^ (row & 7)) << 4);
}

// Async copy of rows [row0, row0 + ROWS) of a [N, D] slice (row stride `stride`
// elements) into a swizzled tile; rows >= n_valid are zero-filled. ROLLED keeps the loop
// rolled (the backward's dK/dV kernel issues Q/dO tiles with 128 threads at BLOCK_N = 64,
// where the fully unrolled copy's addresses cost registers).
template <int ROWS, int D, int NTHREADS, bool ROLLED = false>
__device__ __forceinline__ void load_tile_async(uint32_t smem_tile, const uint16_t* base,
                                                long long stride, int row0, int n_valid,
                                                int tid) {
  constexpr int CHUNKS_PER_ROW = D / 8;
  constexpr int TOTAL = ROWS * CHUNKS_PER_ROW;
  static_assert(TOTAL % NTHREADS == 0, "tile must split evenly over threads");
  auto copy = [&](int i) {
    int c = tid + i * NTHREADS;
    int row = c / CHUNKS_PER_ROW;
    int chunk = c % CHUNKS_PER_ROW;
    int grow = row0 + row;
    bool valid = grow < n_valid;
    const uint16_t* src = valid ? base + (long long)grow * stride + chunk * 8 : base;
    cp_async_16(smem_tile + tile_offset<ROWS>(row, chunk), src, valid);
  };
  if constexpr (ROLLED) {
#pragma unroll 1
    for (int i = 0; i < TOTAL / NTHREADS; ++i) copy(i);
  } else {
#pragma unroll
    for (int i = 0; i < TOTAL / NTHREADS; ++i) copy(i);
  }
}

// Two tiles with the same rows [row0, row0 + ROWS) of two [N, D] slices (the backward's Q and
// dO chunks), in the layout of load_tile_async. Each thread copies one fixed 16-byte column chunk
// of every NTHREADS / (D / 8)-th row, so its addresses advance by a constant per pass (a multiple
// of 8 rows keeps the swizzle phase): a few instructions per copy where the generic loop
// recomputed row, chunk, swizzle and a 64-bit product for every one.
template <int ROWS, int D, int NTHREADS>
__device__ __forceinline__ void load_tile_pair_async(uint32_t smem_a, const uint16_t* a, long long stride_a,
                                                     uint32_t smem_b, const uint16_t* b, long long stride_b,
                                                     int row0, int n_valid, int tid) {
  constexpr int CHUNKS_PER_ROW = D / 8;
  static_assert(NTHREADS % CHUNKS_PER_ROW == 0, "whole rows per pass");
  constexpr int ROW_STEP = NTHREADS / CHUNKS_PER_ROW;
  static_assert(ROW_STEP % 8 == 0 && ROWS % ROW_STEP == 0, "passes keep the swizzle phase");
  const int row = tid / CHUNKS_PER_ROW, chunk = tid % CHUNKS_PER_ROW;
  const uint32_t off = tile_offset<ROWS>(row, chunk);
  const uint16_t* pa = a + (long long)(row0 + row) * stride_a + chunk * 8;
  const uint16_t* pb = b + (long long)(row0 + row) * stride_b + chunk * 8;
#pragma unroll
  for (int i = 0; i < ROWS / ROW_STEP; ++i) {
    const bool valid = row0 + row + i * ROW_STEP < n_valid;
    cp_async_16(smem_a + off + i * ROW_STEP * 128, valid ? pa : a, valid);
    cp_async_16(smem_b + off + i * ROW_STEP * 128, valid ? pb : b, valid);
    pa += ROW_STEP * stride_a;
    pb += ROW_STEP * stride_b;
  }
}

}  // namespace attnc
