// Test fixture / emitter reference: table-driven (CSR) schedule plus a score_mod.
// The tables list, per (l, h, query tile), the visited key tiles as entries
// (kt << 1 | full); index = (l * H + h) * num_q_tiles + qt into offsets[]. Shared by all
// batch entries. The element mask (PARTIAL tiles only) and an ALiBi-like score_mod give
// rows that are fully masked (q % 37 == 0 in all-partial query tiles, and query tiles
// with no entries) to exercise O = 0, LSE = -inf.
#pragma once

namespace attnc {

constexpr int BLOCK_M = 128;
constexpr int BLOCK_N = 128;
constexpr bool HAS_SCORE_MOD = true;
constexpr bool REVERSE_QUERY_TILES = false;

struct PatternParams {
  int Nq, Nk, H, Hkv, L;
  int num_q_tiles;
  float slope;           // runtime input: bias per unit distance
  const int* offsets;    // [L * H * num_q_tiles + 1]
  const int* entries;    // [offsets[last]]  (kt << 1 | full)
  // backward only (transposed table; the forward ignores these fields)
  int num_k_tiles;
  const int* t_offsets;  // [L * H * num_k_tiles + 1]
  const int* t_entries;  // (qt << 1 | full)
};

__device__ __forceinline__ int table_index(const PatternParams& P, int l, int h, int qt) {
  return (l * P.H + h) * P.num_q_tiles + qt;
}

__device__ __forceinline__ int num_key_tiles(const PatternParams& P, int b, int l, int h, int qt) {
  int i = table_index(P, l, h, qt);
  return __ldg(P.offsets + i + 1) - __ldg(P.offsets + i);
}

__device__ __forceinline__ int key_tile(const PatternParams& P, int b, int l, int h, int qt, int j,
                                        bool& full) {
  int e = __ldg(P.entries + __ldg(P.offsets + table_index(P, l, h, qt)) + j);
  full = e & 1;
  return e >> 1;
}

__device__ __forceinline__ bool mask(const PatternParams& P, int b, int l, int h, int q, int k) {
  return q % 37 != 0 && (q + 3 * k + h) % 7 != 0;
}

__device__ __forceinline__ float score_mod(const PatternParams& P, float s, int b, int l, int h,
                                           int q, int k) {
  return s - P.slope * (h + 1) * fabsf((float)(q - k));
}

// Backward (transposed schedule): a second CSR table, per (l, h, key tile), entries
// (qt << 1 | full), index (l * H + h) * num_k_tiles + kt. Built from the forward table.
__device__ __forceinline__ int num_query_tiles(const PatternParams& P, int b, int l, int h, int kt) {
  int i = (l * P.H + h) * P.num_k_tiles + kt;
  return __ldg(P.t_offsets + i + 1) - __ldg(P.t_offsets + i);
}

__device__ __forceinline__ int query_tile(const PatternParams& P, int b, int l, int h, int kt, int j,
                                          bool& full) {
  int e = __ldg(P.t_entries + __ldg(P.t_offsets + (l * P.H + h) * P.num_k_tiles + kt) + j);
  full = e & 1;
  return e >> 1;
}

// score_mod is an additive bias: d score / d s = 1.
__device__ __forceinline__ float score_mod_grad(const PatternParams& P, float s, int b, int l, int h,
                                                int q, int k) {
  return 1.0f;
}

}  // namespace attnc

#include "attnc_fwd.cuh"
