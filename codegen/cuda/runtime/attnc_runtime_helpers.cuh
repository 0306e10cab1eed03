// attnc CUDA runtime: the helper kernels a runtime pattern launches before its schedule builder
// (attnc_schedule_build.cuh), in the launch order of its metadata (docs/cuda-kernel.md,
// "Runtime schedules"). They replace the torch ops the loader ran before; the WGSL twins are
// codegen/wgsl/runtime/helpers/{topk_blocks,lsh_buckets,tile_minmax,sorted_list}.wgsl and the
// references codegen/lower/runtimeSummaries.ts (summaries), src/reference/topk.ts (selection)
// and src/reference/lsh.ts (buckets).
//
//   attnc_topk_pool_k_{bf16,fp16}    per (b, hk, key block kb): mean of the block's K rows
//                                    (rows clipped to Nk) into pooled_k [B][Hkv][k_blocks][D] f32.
//   attnc_topk_select_{bf16,fp16}    per (b, h) and `rows_per_cta` consecutive query blocks qb,
//                                    one CTA: mean of each block's Q rows, score = mean(Q) .
//                                    mean(K) for every candidate kb (kb <= qb when causal; each
//                                    pooled K row is read once for all the CTA's blocks), a
//                                    bitonic sort of (score desc, kb asc) keys per block in
//                                    shared memory, the first `topk` kb into out (-1 past the
//                                    candidates); optionally the same selection ascending,
//                                    padded with SORTED_PAD (the sorted_list summary of `out`,
//                                    fused here).
//   attnc_lsh_buckets_{bf16,fp16}    per row of Q or K (one warp, lanes over D): the SCFA hash
//                                    bucket, the first maximum of [xR, -xR] (grammar/SPEC.md, lsh;
//                                    R [D][half] is built on the host bit-exactly).
//   attnc_runtime_summaries          every other summary of the pattern in one launch, a step
//                                    per CTA range: tile_minmax (one warp per (row, tile): min
//                                    and max of the row's in-range positions) and sorted_list
//                                    (one CTA per row: the row's distinct non-negative entries
//                                    ascending, then SORTED_PAD; bitonic sort in shared memory,
//                                    then a block scan compacts the distinct keys).
//
// Ties: lsh takes the first maximum (+xR before -xR); a selection ranks by score, then by the
// lower kb (grammar/SPEC.md); -0 ranks as +0 and NaN above every number (torch.sort's order).
// Summation order differs from the float64 reference, so near-equal scores can swap: checks of
// the selection and of the buckets allow for that.
// All kernels run HELPER_THREADS threads per CTA; parameters are one struct by value.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

namespace attnc {
namespace helpers {

constexpr int HELPER_THREADS = 256;
constexpr int HELPER_WARPS = HELPER_THREADS / 32;
constexpr int SUMMARY_MAX_STEPS = 8;
constexpr int SUMMARY_TILE_MINMAX = 0;
constexpr int SUMMARY_SORTED_LIST = 1;
constexpr int SORTED_PAD = 2147483647;
constexpr int INT32_MIN_VALUE = -2147483647 - 1;
constexpr unsigned FULL_WARP = 0xffffffffu;

// ---------------------------------------------------------------------------
// Parameter blocks (mirrored by ctypes in attnc_runtime_helpers.py)
// ---------------------------------------------------------------------------
struct SummaryStep {
  const int* src;   // [rows][n] (rows of every batch entry summarised, back to back)
  int* dst;         // tile_minmax: [rows][tiles][2] (min, max); sorted_list: [rows][n]
  int kind;         // SUMMARY_TILE_MINMAX | SUMMARY_SORTED_LIST
  int rows;
  int n;
  int tile;         // tile_minmax: positions per tile (ragged last tile: [t * tile, n))
  int tiles;        // tile_minmax: ceil(n / tile)
  int first_block;  // the step's first CTA; its CTAs run up to the next step's first_block
};

struct SummaryParams {
  SummaryStep steps[SUMMARY_MAX_STEPS];
  int num_steps;
};

struct TopkParams {
  const void* q;       // [B, H, Nq, D] (element strides below; d contiguous)
  const void* k;       // [B, Hkv, Nk, D]
  long long q_sb, q_sh, q_sn, k_sb, k_sh, k_sn;
  float* pooled_k;     // [B][Hkv][k_blocks][D]: written by pool_k, read by select
  int* out;            // [B][H][q_blocks][topk] at out + b * out_bstride
  int* sorted_out;     // optional (nullptr): the selection ascending, then SORTED_PAD
  int B, H, Hkv, Nq, Nk, D;
  int block, topk, causal, q_blocks, k_blocks;
  int out_bstride, sorted_bstride;
  int rows_per_cta;    // query blocks per select CTA, 1 .. TOPK_MAX_ROWS_PER_CTA
};
constexpr int TOPK_MAX_ROWS_PER_CTA = 4;

struct LshParams {
  const void* x;           // [B, heads, N, D] (element strides below; d contiguous), Q or K
  long long x_sb, x_sh, x_sn;
  const float* rotation;   // [D][half]
  int* out;                // [B][heads][N]
  int B, heads, N, D, half;
};
constexpr int LSH_MAX_D = 256;  // D <= 8 values per lane

// ---------------------------------------------------------------------------
// Block-wide building blocks (every thread of the CTA calls them)
// ---------------------------------------------------------------------------
__device__ __forceinline__ int pow2_ceil(int n) {
  int p = 1;
  while (p < n) p <<= 1;
  return p;
}

/**
 * Ascending bitonic sort of each of `rows` rows keys[r * P, (r + 1) * P) in shared memory; P a
 * power of two (partners i ^ stride stay in their row).
 */
template <typename Key>
__device__ __forceinline__ void bitonic_sort(Key* keys, int P, int rows = 1) {
  for (int size = 2; size <= P; size <<= 1) {
    for (int stride = size >> 1; stride > 0; stride >>= 1) {
      for (int i = threadIdx.x; i < rows * P; i += HELPER_THREADS) {
        const int j = i ^ stride;
        if (j > i) {
          const Key a = keys[i], b = keys[j];
          const bool ascending = (i & (P - 1) & size) == 0;
          if (ascending ? (a > b) : (a < b)) {
            keys[i] = b;
            keys[j] = a;
          }
        }
      }
      __syncthreads();
    }
  }
}

/** Exclusive prefix sum of x over the CTA's threads in order; total gets the sum. */
__device__ __forceinline__ int block_exclusive_scan(int x, int* warp_sums, int& total) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  int inclusive = x;
#pragma unroll
  for (int o = 1; o < 32; o <<= 1) {
    const int y = __shfl_up_sync(FULL_WARP, inclusive, o);
    if (lane >= o) inclusive += y;
  }
  if (lane == 31) warp_sums[warp] = inclusive;
  __syncthreads();
  if (warp == 0) {
    int w = lane < HELPER_WARPS ? warp_sums[lane] : 0;
#pragma unroll
    for (int o = 1; o < HELPER_WARPS; o <<= 1) {
      const int y = __shfl_up_sync(FULL_WARP, w, o);
      if (lane >= o) w += y;
    }
    if (lane < HELPER_WARPS) warp_sums[lane] = w;
  }
  __syncthreads();
  total = warp_sums[HELPER_WARPS - 1];
  return (warp ? warp_sums[warp - 1] : 0) + inclusive - x;
}

__device__ __forceinline__ float warp_sum(float x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(FULL_WARP, x, o);
  return x;
}

__device__ __forceinline__ float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ __forceinline__ float to_float(__half x) { return __half2float(x); }

/**
 * Mean over rows [lo, hi) of x (row stride sn, d contiguous) into out[0, D). Threads form
 * HELPER_THREADS / D row groups (D divides HELPER_THREADS); scratch holds HELPER_THREADS floats.
 */
template <typename T>
__device__ __forceinline__ void pool_rows(const T* x, long long sn, int lo, int hi, int D, float* scratch, float* out) {
  const int groups = HELPER_THREADS / D;
  const int g = threadIdx.x / D, d = threadIdx.x % D;
  float sum = 0.f;
  if (g < groups) {
    for (int r = lo + g; r < hi; r += groups) sum += to_float(x[r * sn + d]);
  }
  scratch[threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.x < D) {
    float total = 0.f;
    for (int i = 0; i < groups; ++i) total += scratch[i * D + threadIdx.x];
    out[threadIdx.x] = total / static_cast<float>(hi - lo);
  }
  __syncthreads();
}

/** Sort key of a candidate: ascending keys = descending score, then ascending kb. */
__device__ __forceinline__ unsigned long long score_key(float s, int kb) {
  uint32_t u = __float_as_uint(s);
  if (s == 0.f) u = 0u;              // -0 ties with +0
  if (s != s) u = 0x7fc00000u;       // NaN ranks above +inf
  u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);  // ascending with s
  return (static_cast<unsigned long long>(~u) << 32) | static_cast<uint32_t>(kb);
}

// ---------------------------------------------------------------------------
// Summaries
// ---------------------------------------------------------------------------
/** One warp: min and max of src[row][t * tile, min(n, (t + 1) * tile)) for item = row * tiles + t. */
__device__ __forceinline__ void tile_minmax_item(const SummaryStep& s, int item, int lane) {
  const int row = item / s.tiles, t = item % s.tiles;
  const int lo = t * s.tile, hi = min(s.n, lo + s.tile);
  const int* src = s.src + static_cast<long long>(row) * s.n;
  int smallest = SORTED_PAD, largest = INT32_MIN_VALUE;
  for (int i = lo + lane; i < hi; i += 32) {
    const int v = __ldg(src + i);
    smallest = min(smallest, v);
    largest = max(largest, v);
  }
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    smallest = min(smallest, __shfl_xor_sync(FULL_WARP, smallest, o));
    largest = max(largest, __shfl_xor_sync(FULL_WARP, largest, o));
  }
  if (lane == 0) {
    s.dst[2 * item] = smallest;
    s.dst[2 * item + 1] = largest;
  }
}

/** One CTA: the distinct non-negative entries of src[row] ascending, then SORTED_PAD, into dst[row]. */
__device__ __forceinline__ void sorted_list_row(const SummaryStep& s, int row, int* keys, int* warp_sums) {
  const int n = s.n, P = pow2_ceil(n);
  const int* src = s.src + static_cast<long long>(row) * n;
  int* dst = s.dst + static_cast<long long>(row) * n;
  for (int i = threadIdx.x; i < P; i += HELPER_THREADS) {
    const int v = i < n ? __ldg(src + i) : SORTED_PAD;
    keys[i] = v < 0 ? SORTED_PAD : v;
  }
  __syncthreads();
  bitonic_sort(keys, P);
  // compaction: each thread owns a contiguous chunk; a key is kept when it is no pad and
  // differs from its predecessor
  const int chunk = (P + HELPER_THREADS - 1) / HELPER_THREADS;
  const int lo = min(P, static_cast<int>(threadIdx.x) * chunk), hi = min(P, lo + chunk);
  int kept = 0;
  for (int i = lo; i < hi; ++i) kept += keys[i] != SORTED_PAD && (i == 0 || keys[i] != keys[i - 1]);
  int total = 0;
  int pos = block_exclusive_scan(kept, warp_sums, total);
  for (int i = lo; i < hi; ++i) {
    if (keys[i] != SORTED_PAD && (i == 0 || keys[i] != keys[i - 1])) dst[pos++] = keys[i];
  }
  for (int i = total + threadIdx.x; i < n; i += HELPER_THREADS) dst[i] = SORTED_PAD;
}

// ---------------------------------------------------------------------------
// lsh buckets
// ---------------------------------------------------------------------------
template <typename T>
__device__ __forceinline__ void lsh_buckets(const LshParams& p) {
  const int row = blockIdx.x * HELPER_WARPS + static_cast<int>(threadIdx.x) / 32;  // (b * heads + h) * N + n
  if (row >= p.B * p.heads * p.N) return;  // whole warps
  const int lane = threadIdx.x % 32;
  const int n = row % p.N, bh = row / p.N;
  const T* x = static_cast<const T*>(p.x) + (bh / p.heads) * p.x_sb + (bh % p.heads) * p.x_sh + n * p.x_sn;
  float xv[LSH_MAX_D / 32];
#pragma unroll
  for (int i = 0; i < LSH_MAX_D / 32; ++i) xv[i] = lane + 32 * i < p.D ? to_float(x[lane + 32 * i]) : 0.f;
  // first maximum among +xR and among -xR; +xR comes first, so -xR wins only when greater
  int best_pos = 0, best_neg = 0;
  float best_pos_value = 0.f, best_neg_value = 0.f;
  for (int j = 0; j < p.half; ++j) {
    float acc = 0.f;
#pragma unroll
    for (int i = 0; i < LSH_MAX_D / 32; ++i) {
      if (lane + 32 * i < p.D) acc += xv[i] * __ldg(p.rotation + (lane + 32 * i) * p.half + j);
    }
    acc = warp_sum(acc);
    if (j == 0 || acc > best_pos_value) {
      best_pos = j;
      best_pos_value = acc;
    }
    if (j == 0 || -acc > best_neg_value) {
      best_neg = j;
      best_neg_value = -acc;
    }
  }
  if (lane == 0) p.out[row] = best_neg_value > best_pos_value ? p.half + best_neg : best_pos;
}

// ---------------------------------------------------------------------------
// Top-k key-block selection
// ---------------------------------------------------------------------------
template <typename T>
__device__ __forceinline__ void topk_pool_k(const TopkParams& p) {
  __shared__ float scratch[HELPER_THREADS];
  const int kb = blockIdx.x % p.k_blocks;
  const int bh = blockIdx.x / p.k_blocks;  // b * Hkv + hk
  const int b = bh / p.Hkv, hk = bh % p.Hkv;
  const T* x = static_cast<const T*>(p.k) + b * p.k_sb + hk * p.k_sh;
  const int lo = kb * p.block, hi = min(p.Nk, lo + p.block);
  pool_rows(x, p.k_sn, lo, hi, p.D, scratch, p.pooled_k + static_cast<long long>(blockIdx.x) * p.D);
}

template <typename T>
__device__ __forceinline__ void topk_select(const TopkParams& p) {
  constexpr int R = TOPK_MAX_ROWS_PER_CTA;
  __shared__ float scratch[HELPER_THREADS];
  __shared__ float q_mean[R][HELPER_THREADS];
  extern __shared__ __align__(16) unsigned char helper_smem[];
  const int groups = (p.q_blocks + p.rows_per_cta - 1) / p.rows_per_cta;
  const int qb0 = (blockIdx.x % groups) * p.rows_per_cta;
  const int bh = blockIdx.x / groups;  // b * H + h
  const int b = bh / p.H, h = bh % p.H;
  const int hk = h / (p.H / p.Hkv);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int rows = min(p.rows_per_cta, p.q_blocks - qb0);

  const T* x = static_cast<const T*>(p.q) + b * p.q_sb + h * p.q_sh;
  for (int r = 0; r < rows; ++r) {
    const int qb = qb0 + r;
    pool_rows(x, p.q_sn, qb * p.block, min(p.Nq, (qb + 1) * p.block), p.D, scratch, q_mean[r]);
  }

  // candidates of row r: kb < candidates(r) (growing with r); keys past them are padding
  const auto candidates = [&](int r) { return p.causal ? min(qb0 + r + 1, p.k_blocks) : p.k_blocks; };
  const int n_max = candidates(rows - 1);
  const int P = pow2_ceil(n_max);
  unsigned long long* keys = reinterpret_cast<unsigned long long*>(helper_smem);  // [rows][P]
  const float* pooled = p.pooled_k + static_cast<long long>(b * p.Hkv + hk) * p.k_blocks * p.D;
  for (int kb = warp; kb < P; kb += HELPER_WARPS) {
    float dot[R] = {};
    if (kb < n_max) {  // one warp per key block, lanes over D; the K row serves every row
      for (int d = lane; d < p.D; d += 32) {
        const float k_d = pooled[static_cast<long long>(kb) * p.D + d];
#pragma unroll
        for (int r = 0; r < R; ++r) dot[r] += q_mean[r][d] * k_d;
      }
#pragma unroll
      for (int r = 0; r < R; ++r) dot[r] = warp_sum(dot[r]);
    }
    if (lane == 0) {
#pragma unroll
      for (int r = 0; r < R; ++r) {
        if (r < rows) keys[r * P + kb] = kb < candidates(r) ? score_key(dot[r], kb) : ~0ull;
      }
    }
  }
  __syncthreads();
  bitonic_sort(keys, P, rows);

  const long long row0 = static_cast<long long>(h) * p.q_blocks + qb0;
  int* out = p.out + static_cast<long long>(b) * p.out_bstride + row0 * p.topk;
  for (int i = threadIdx.x; i < rows * p.topk; i += HELPER_THREADS) {
    const int r = i / p.topk, slot = i % p.topk;
    out[i] = slot < candidates(r) ? static_cast<int>(keys[r * P + slot] & 0xffffffffu) : -1;
  }
  if (p.sorted_out == nullptr) return;  // uniform over the CTA

  // the fused sorted_list summary of out: each row's selected kb ascending (distinct already)
  const int PK = pow2_ceil(p.topk);
  int* sel = reinterpret_cast<int*>(keys + rows * P);  // [rows][PK]
  for (int i = threadIdx.x; i < rows * PK; i += HELPER_THREADS) {
    const int r = i / PK, slot = i % PK;
    sel[i] = slot < min(p.topk, candidates(r)) ? static_cast<int>(keys[r * P + slot] & 0xffffffffu) : SORTED_PAD;
  }
  __syncthreads();
  bitonic_sort(sel, PK, rows);
  int* sorted = p.sorted_out + static_cast<long long>(b) * p.sorted_bstride + row0 * p.topk;
  for (int i = threadIdx.x; i < rows * p.topk; i += HELPER_THREADS) sorted[i] = sel[(i / p.topk) * PK + i % p.topk];
}

}  // namespace helpers
}  // namespace attnc

// Dynamic shared memory: 4 * pow2_ceil(n) bytes for the longest sorted_list row (0 without one).
// Grid: the sum over steps of ceil(rows * tiles / HELPER_WARPS) (tile_minmax) or rows (sorted_list).
extern "C" __global__ void __launch_bounds__(attnc::helpers::HELPER_THREADS)
    attnc_runtime_summaries(const attnc::helpers::SummaryParams p) {
  using namespace attnc::helpers;
  __shared__ int warp_sums[HELPER_WARPS];
  extern __shared__ __align__(16) unsigned char helper_smem[];
  // the step of this CTA (constant indices only: no copy of the parameter array to local memory)
  SummaryStep step = p.steps[0];
#pragma unroll
  for (int i = 1; i < SUMMARY_MAX_STEPS; ++i) {
    if (i < p.num_steps && static_cast<int>(blockIdx.x) >= p.steps[i].first_block) step = p.steps[i];
  }
  const int block = blockIdx.x - step.first_block;
  if (step.kind == SUMMARY_TILE_MINMAX) {
    const int item = block * HELPER_WARPS + static_cast<int>(threadIdx.x) / 32;
    if (item < step.rows * step.tiles) tile_minmax_item(step, item, threadIdx.x % 32);
  } else if (block < step.rows) {
    sorted_list_row(step, block, reinterpret_cast<int*>(helper_smem), warp_sums);
  }
}

// Grid B * Hkv * k_blocks, no dynamic shared memory.
#define ATTNC_TOPK_ENTRIES(SUFFIX, T)                                                              \
  extern "C" __global__ void __launch_bounds__(attnc::helpers::HELPER_THREADS)                     \
      attnc_topk_pool_k_##SUFFIX(const attnc::helpers::TopkParams p) {                             \
    attnc::helpers::topk_pool_k<T>(p);                                                             \
  }                                                                                                \
  extern "C" __global__ void __launch_bounds__(attnc::helpers::HELPER_THREADS)                     \
      attnc_topk_select_##SUFFIX(const attnc::helpers::TopkParams p) {                             \
    attnc::helpers::topk_select<T>(p);                                                             \
  }
// attnc_lsh_buckets_*: grid ceil(B * heads * N / HELPER_WARPS), no dynamic shared memory.
#define ATTNC_LSH_ENTRY(SUFFIX, T)                                                                 \
  extern "C" __global__ void __launch_bounds__(attnc::helpers::HELPER_THREADS)                     \
      attnc_lsh_buckets_##SUFFIX(const attnc::helpers::LshParams p) {                              \
    attnc::helpers::lsh_buckets<T>(p);                                                             \
  }
ATTNC_LSH_ENTRY(bf16, __nv_bfloat16)
ATTNC_LSH_ENTRY(fp16, __half)
#undef ATTNC_LSH_ENTRY

// attnc_topk_select_*: grid B * H * ceil(q_blocks / rows_per_cta); dynamic shared memory
// rows_per_cta * (8 * pow2_ceil(k_blocks) + 4 * pow2_ceil(topk)) bytes.
ATTNC_TOPK_ENTRIES(bf16, __nv_bfloat16)
ATTNC_TOPK_ENTRIES(fp16, __half)
#undef ATTNC_TOPK_ENTRIES
