// Test fixture / emitter reference: causal sliding window, k <= q && q - k < WINDOW,
// closed-form schedule over the key tiles that intersect [q_first - WINDOW + 1, q_last].
#pragma once

namespace attnc {

constexpr int BLOCK_M = 128;
constexpr int BLOCK_N = 128;
constexpr bool HAS_SCORE_MOD = false;
constexpr bool REVERSE_QUERY_TILES = false;  // every query tile costs about the same
constexpr int WINDOW = 1024;

struct PatternParams {
  int Nq, Nk, H, Hkv, L;
};

__device__ __forceinline__ int first_key_tile(int qt) {
  return max(0, qt * BLOCK_M - WINDOW + 1) / BLOCK_N;
}

__device__ __forceinline__ int num_key_tiles(const PatternParams& P, int b, int l, int h, int qt) {
  int q_last = min((qt + 1) * BLOCK_M, P.Nq) - 1;
  int last = min(q_last, P.Nk - 1) / BLOCK_N;
  return last - first_key_tile(qt) + 1;
}

__device__ __forceinline__ int key_tile(const PatternParams& P, int b, int l, int h, int qt, int j,
                                        bool& full) {
  int kt = first_key_tile(qt) + j;
  int q_first = qt * BLOCK_M;
  int q_last = min((qt + 1) * BLOCK_M, P.Nq) - 1;
  int k_first = kt * BLOCK_N, k_last = k_first + BLOCK_N - 1;
  full = k_last <= q_first && q_last - k_first < WINDOW;
  return kt;
}

__device__ __forceinline__ bool mask(const PatternParams& P, int b, int l, int h, int q, int k) {
  return k <= q && q - k < WINDOW;
}

__device__ __forceinline__ float score_mod(const PatternParams& P, float s, int b, int l, int h,
                                           int q, int k) {
  return s;
}

// Backward (transposed schedule): query tiles from the first one reaching key tile kt
// (kt*BLOCK_N/BLOCK_M) to the last one whose window still starts at or before the tile
// (first_key_tile(qt) <= kt  <=>  qt*BLOCK_M - WINDOW + 1 <= kt*BLOCK_N + BLOCK_N - 1).
__device__ __forceinline__ int num_query_tiles(const PatternParams& P, int b, int l, int h, int kt) {
  if (kt * BLOCK_N >= P.Nq) return 0;
  int n_q = (P.Nq + BLOCK_M - 1) / BLOCK_M;
  int lo = kt * BLOCK_N / BLOCK_M;
  int hi = min(n_q - 1, (kt * BLOCK_N + BLOCK_N + WINDOW - 2) / BLOCK_M);
  return hi - lo + 1;
}

__device__ __forceinline__ int query_tile(const PatternParams& P, int b, int l, int h, int kt, int j,
                                          bool& full) {
  int qt = kt * BLOCK_N / BLOCK_M + j;
  int q_first = qt * BLOCK_M;
  int q_last = min((qt + 1) * BLOCK_M, P.Nq) - 1;
  int k_first = kt * BLOCK_N, k_last = k_first + BLOCK_N - 1;
  full = k_last <= q_first && q_last - k_first < WINDOW;
  return qt;
}

__device__ __forceinline__ float score_mod_grad(const PatternParams& P, float s, int b, int l, int h,
                                                int q, int k) {
  return 1.0f;
}

}  // namespace attnc

#include "attnc_fwd.cuh"
