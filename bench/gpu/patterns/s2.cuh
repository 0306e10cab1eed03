// Test fixture / emitter reference: S2-style 64-granular pattern, per head h:
//   k <= q && (q/64 - k/64 < LOCAL_BLOCKS || (k/64 + h%8 + 1) % 8 == 0)
// 64-wide key tiles (BLOCK_N = 64) so the vertical-stride blocks cost what they contain.
// Schedule (closed form): first the vertical blocks left of the local band (all FULL),
// then the band [q_first/64 - 15, q_last/64].
#pragma once

namespace attnc {

constexpr int BLOCK_M = 128;
constexpr int BLOCK_N = 64;
constexpr bool HAS_SCORE_MOD = false;
constexpr bool REVERSE_QUERY_TILES = true;
constexpr int LOCAL_BLOCKS = 16;
constexpr int STRIDE = 8;

struct PatternParams {
  int Nq, Nk, H, Hkv, L;
};

__device__ __forceinline__ bool is_vertical(int kb, int h) { return (kb + h % STRIDE + 1) % STRIDE == 0; }

struct S2Range {
  int band_lo, band_hi, first_vertical, n_vertical;
};

__device__ __forceinline__ S2Range s2_range(const PatternParams& P, int h, int qt) {
  S2Range r;
  int q_last = min((qt + 1) * BLOCK_M, P.Nq) - 1;
  int n_kb = (P.Nk + BLOCK_N - 1) / BLOCK_N;
  r.band_lo = max(0, qt * BLOCK_M / BLOCK_N - (LOCAL_BLOCKS - 1));
  r.band_hi = min(q_last / BLOCK_N, n_kb - 1);
  r.first_vertical = STRIDE - 1 - h % STRIDE;
  int v_end = min(r.band_lo, n_kb);
  r.n_vertical = v_end > r.first_vertical ? (v_end - r.first_vertical + STRIDE - 1) / STRIDE : 0;
  return r;
}

__device__ __forceinline__ int num_key_tiles(const PatternParams& P, int b, int l, int h, int qt) {
  S2Range r = s2_range(P, h, qt);
  return r.n_vertical + max(0, r.band_hi - r.band_lo + 1);
}

__device__ __forceinline__ int key_tile(const PatternParams& P, int b, int l, int h, int qt, int j,
                                        bool& full) {
  S2Range r = s2_range(P, h, qt);
  if (j < r.n_vertical) {
    full = true;
    return r.first_vertical + STRIDE * j;
  }
  int kb = r.band_lo + (j - r.n_vertical);
  int q_first = qt * BLOCK_M;
  int qb_last = (min((qt + 1) * BLOCK_M, P.Nq) - 1) / BLOCK_N;
  full = kb * BLOCK_N + BLOCK_N - 1 <= q_first && (qb_last - kb < LOCAL_BLOCKS || is_vertical(kb, h));
  return kb;
}

__device__ __forceinline__ bool mask(const PatternParams& P, int b, int l, int h, int q, int k) {
  int qb = q / BLOCK_N, kb = k / BLOCK_N;
  return k <= q && (qb - kb < LOCAL_BLOCKS || is_vertical(kb, h));
}

__device__ __forceinline__ float score_mod(const PatternParams& P, float s, int b, int l, int h,
                                           int q, int k) {
  return s;
}

// Backward (transposed schedule) for key block kb: query tiles kb/2 .. last for a vertical
// block (band, then vertical list), else kb/2 .. (kb + LOCAL_BLOCKS - 1)/2 (band only:
// band_lo(qt) = 2qt - 15 <= kb). FULL exactly as key_tile decides it for that query tile.
__device__ __forceinline__ int num_query_tiles(const PatternParams& P, int b, int l, int h, int kt) {
  if (kt * BLOCK_N >= P.Nq) return 0;
  int n_q = (P.Nq + BLOCK_M - 1) / BLOCK_M;
  int lo = kt * BLOCK_N / BLOCK_M;
  int hi = is_vertical(kt, h) ? n_q - 1
                              : min(n_q - 1, (kt + LOCAL_BLOCKS - 1) * BLOCK_N / BLOCK_M);
  return hi - lo + 1;
}

__device__ __forceinline__ int query_tile(const PatternParams& P, int b, int l, int h, int kt, int j,
                                          bool& full) {
  int qt = kt * BLOCK_N / BLOCK_M + j;
  int band_lo = max(0, qt * BLOCK_M / BLOCK_N - (LOCAL_BLOCKS - 1));
  if (kt < band_lo) {
    full = true;  // listed among the vertical blocks
  } else {
    int q_first = qt * BLOCK_M;
    int qb_last = (min((qt + 1) * BLOCK_M, P.Nq) - 1) / BLOCK_N;
    full = kt * BLOCK_N + BLOCK_N - 1 <= q_first && (qb_last - kt < LOCAL_BLOCKS || is_vertical(kt, h));
  }
  return qt;
}

__device__ __forceinline__ float score_mod_grad(const PatternParams& P, float s, int b, int l, int h,
                                                int q, int k) {
  return 1.0f;
}

}  // namespace attnc

#include "attnc_fwd.cuh"
