// Test fixture / emitter reference: dense causal (k <= q), closed-form schedule.
// Key tiles 0 .. last tile touching the tile's last query; FULL while every key of the
// tile precedes the tile's first query, so only the diagonal tile(s) are PARTIAL.
#pragma once

namespace attnc {

constexpr int BLOCK_M = 128;
constexpr int BLOCK_N = 128;
constexpr bool HAS_SCORE_MOD = false;
constexpr bool REVERSE_QUERY_TILES = true;  // heaviest query tiles (most keys) first

struct PatternParams {
  int Nq, Nk, H, Hkv, L;
};

__device__ __forceinline__ int num_key_tiles(const PatternParams& P, int b, int l, int h, int qt) {
  int q_last = min((qt + 1) * BLOCK_M, P.Nq) - 1;
  int n_k = (P.Nk + BLOCK_N - 1) / BLOCK_N;
  return min(q_last / BLOCK_N + 1, n_k);
}

__device__ __forceinline__ int key_tile(const PatternParams& P, int b, int l, int h, int qt, int j,
                                        bool& full) {
  full = (j + 1) * BLOCK_N - 1 <= qt * BLOCK_M;
  return j;
}

__device__ __forceinline__ bool mask(const PatternParams& P, int b, int l, int h, int q, int k) {
  return k <= q;
}

__device__ __forceinline__ float score_mod(const PatternParams& P, float s, int b, int l, int h,
                                           int q, int k) {
  return s;
}

// Backward (transposed schedule): key tile kt is touched by query tiles
// kt*BLOCK_N/BLOCK_M .. last (those whose last query reaches the tile's first key).
__device__ __forceinline__ int num_query_tiles(const PatternParams& P, int b, int l, int h, int kt) {
  int n_q = (P.Nq + BLOCK_M - 1) / BLOCK_M;
  return kt * BLOCK_N < P.Nq ? n_q - kt * BLOCK_N / BLOCK_M : 0;
}

__device__ __forceinline__ int query_tile(const PatternParams& P, int b, int l, int h, int kt, int j,
                                          bool& full) {
  int qt = kt * BLOCK_N / BLOCK_M + j;
  full = (kt + 1) * BLOCK_N - 1 <= qt * BLOCK_M;
  return qt;
}

__device__ __forceinline__ float score_mod_grad(const PatternParams& P, float s, int b, int l, int h,
                                                int q, int k) {
  return 1.0f;
}

}  // namespace attnc

#include "attnc_fwd.cuh"
