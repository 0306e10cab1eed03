// attnc CUDA runtime: score post-processing and the online softmax.
// Both paths hold scores and the output accumulator in the same per-warp fragment
// layout (the m16n8 C layout of mma.sync, which wgmma's accumulator repeats per warp):
// a warp owns 16 rows; lane (g = lane/4, t = lane%4) holds, for each 8-column chunk i,
//   x[4i+0], x[4i+1] at (row g,   cols 8i+2t, 8i+2t+1)
//   x[4i+2], x[4i+3] at (row g+8, cols 8i+2t, 8i+2t+1)
// The hooks (mask, score_mod) come from the pattern header included before this file.
#pragma once

#include "common.cuh"

namespace attnc {

#if !defined(ATTNC_HOST_EMU)
__device__ __forceinline__ float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}
#endif

// Row values of the mask for the two query rows (g, g + 8) a lane holds, computed once per
// CTA (the rows are fixed for its whole key-tile loop): the pattern header's mask_row, when
// its mask has row-only loads (ATTNC_MASK_ROW), else its rule dispatch for (l, h), when it has
// several rules (ATTNC_MASK_HEAD), else nothing.
struct RowMasks {
#ifdef ATTNC_MASK_ROW
  MaskRow r[2];
#elif defined(ATTNC_MASK_HEAD)
  int head;
#endif
};

__device__ __forceinline__ RowMasks row_masks(const FwdTensors& t, const PatternParams& pp, int b, int h,
                                              int q_row) {
  RowMasks m;
#ifdef ATTNC_MASK_ROW
  m.r[0] = mask_row(pp, b, t.layer, h, min(q_row, t.Nq - 1));
  m.r[1] = mask_row(pp, b, t.layer, h, min(q_row + 8, t.Nq - 1));
#elif defined(ATTNC_MASK_HEAD)
  m.head = mask_head(pp, b, t.layer, h);
#endif
  return m;
}

// Turns raw q.k accumulators of one key tile into log2-domain logits in place:
// applies score_mod (if the pattern has one), the element mask on PARTIAL tiles and the
// bounds check on ragged tiles. Returns the factor the softmax still has to apply
// (scale*log2e when no score_mod ran, else 1).
//   q_row: query position of this lane's row g; k0: first key of the tile;
//   k_col = k0 + 2t: key position of this lane's first column.
template <int NC>
__device__ __forceinline__ float prepare_scores(float (&s)[NC * 4], const FwdTensors& t,
                                                const PatternParams& pp, const RowMasks& rm, int b, int h,
                                                int q_row, int k0, int k_col, bool full) {
  const int l = t.layer;
  float factor = t.scale_log2;
  if constexpr (HAS_SCORE_MOD) {
#pragma unroll
    for (int i = 0; i < NC; ++i)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        int q = q_row + (e >> 1) * 8;
        int k = k_col + i * 8 + (e & 1);
        s[4 * i + e] = score_mod(pp, s[4 * i + e] * t.scale, b, l, h, q, k) * LOG2E;
      }
    factor = 1.0f;
  }
  // Key bounds only matter on the ragged last key tile; query rows past Nq are computed
  // but never stored, so they need no check except to keep the mask in range.
  const bool ragged = k0 + NC * 8 > t.Nk;
  if (!full || ragged) {
#pragma unroll
    for (int i = 0; i < NC; ++i)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        int q = q_row + (e >> 1) * 8;
        int k = k_col + i * 8 + (e & 1);
        bool ok = k < t.Nk;
#ifdef ATTNC_MASK_ROW
        if (!full) ok = ok && q < t.Nq && mask_at(pp, rm.r[e >> 1], b, l, h, q, k);
#elif defined(ATTNC_MASK_HEAD)
        if (!full) ok = ok && q < t.Nq && mask_in(pp, rm.head, b, l, h, q, k);
#else
        if (!full) ok = ok && q < t.Nq && mask(pp, b, l, h, q, k);
#endif
        if (!ok) s[4 * i + e] = neg_inf();
      }
  }
  return factor;
}

// Online softmax state for the two rows (g, g+8) a lane holds. m is the running max in
// the scaled log2 domain; l is this lane's partial row sum (reduced over the quad once,
// at the end).
struct SoftmaxState {
  float m[2];
  float l[2];
  __device__ __forceinline__ void init() {
    m[0] = m[1] = neg_inf();
    l[0] = l[1] = 0.0f;
  }

  // s (one key tile, NC chunks) -> p = exp2(s*factor - m_new) in place; updates m, l and
  // returns the rescale factors for the output rows in alpha. Masked entries are -inf and
  // give p = 0; an all-masked row so far keeps m = -inf and alpha = 0 (never NaN).
  template <int NC>
  __device__ __forceinline__ void step(float (&s)[NC * 4], float factor, float (&alpha)[2]) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float mx = neg_inf();
#pragma unroll
      for (int i = 0; i < NC; ++i) mx = fmaxf(mx, fmaxf(s[4 * i + 2 * r], s[4 * i + 2 * r + 1]));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
      float m_new = fmaxf(m[r], mx * factor);
      float m_use = m_new == neg_inf() ? 0.0f : m_new;
      alpha[r] = fast_exp2(m[r] - m_use);
      m[r] = m_new;
      float sum = 0.0f;
#pragma unroll
      for (int i = 0; i < NC; ++i) {
        float p0 = fast_exp2(fmaf(s[4 * i + 2 * r], factor, -m_use));
        float p1 = fast_exp2(fmaf(s[4 * i + 2 * r + 1], factor, -m_use));
        s[4 * i + 2 * r] = p0;
        s[4 * i + 2 * r + 1] = p1;
        sum += p0 + p1;
      }
      l[r] = l[r] * alpha[r] + sum;
    }
  }

  // After the last tile: full row sums, 1/l for the output (0 for empty rows) and the
  // natural-log LSE (-inf for empty rows).
  __device__ __forceinline__ void finish(float (&inv_l)[2], float (&lse)[2]) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float sum = l[r];
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      sum += __shfl_xor_sync(0xffffffffu, sum, 2);
      bool empty = !(sum > 0.0f);
      inv_l[r] = empty ? 0.0f : 1.0f / sum;
      lse[r] = empty ? neg_inf() : (m[r] + __log2f(sum)) * LN2;
    }
  }
};

template <int DC>
__device__ __forceinline__ void rescale_rows(float (&o)[DC * 4], const float (&alpha)[2]) {
#pragma unroll
  for (int i = 0; i < DC; ++i) {
    o[4 * i + 0] *= alpha[0];
    o[4 * i + 1] *= alpha[0];
    o[4 * i + 2] *= alpha[1];
    o[4 * i + 3] *= alpha[1];
  }
}

}  // namespace attnc
