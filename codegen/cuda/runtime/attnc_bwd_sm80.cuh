// attnc CUDA runtime: the backward pass, mma.sync m16n8k16 + ldmatrix (sm_80+).
// FlashAttention-2 algorithm, three kernels:
//   pre : delta[q] = sum_d dO[q,d] * O[q,d]                                  (fp32, [B,H,Nq])
//   dkdv: one CTA per (key tile kt, KV head hk, b). K/V tile stays in shared memory; for each
//         query head h of the GQA group and each query tile of the TRANSPOSED schedule
//         (num_query_tiles / query_tile hooks) the Q, dO tiles (+ LSE, delta rows) stream
//         through a 2-stage cp.async ring. Warp w owns keys [16w, 16w+16) of the tile and
//         processes the 128-row query tile in chunks of QC rows:
//           S^T = K Q^T, P^T = exp(S^T*scale - LSE), dP^T = V dO^T,
//           dS^T = P^T * (dP^T - delta) * score_mod_grad,  dV += P^T dO,  dK += dS^T Q
//         dK is scaled by `scale` at the end; both are written once (no atomics).
//   dq  : one CTA per (query tile, h, b), the FORWARD schedule (num_key_tiles / key_tile);
//         8 warps x 16 rows, K/V tiles through a 2-stage ring, key tiles in chunks of 64:
//           S = Q K^T, P, dP = dO V^T, dS, dQ += dS K; dQ scaled by `scale`, written once.
// Rows with LSE = -inf (no allowed key) and query rows >= Nq get LSE2 = +inf in the kernels,
// so P = exp2(x - inf) = 0 and they contribute nothing. Masked / out-of-range keys get P = 0.
#pragma once

#include "common.cuh"
#include "epilogue.cuh"
#include "mma_sm80.cuh"
#include "softmax.cuh"

namespace attnc {

__device__ __forceinline__ float pos_inf() { return __int_as_float(0x7f800000); }

// The pre kernel also writes the log2-domain LSE (+inf for rows with no key) after delta, where
// the sm_90a dK/dV kernel reads it instead of converting the LSE per lane and item (0: converted
// per lane and item; bwd_profile variant untrimmed).
#ifndef ATTNC_BWD_LSE2
#define ATTNC_BWD_LSE2 1
#endif

struct BwdTensors {
  const void* q;     // [B, H,   Nq, D]
  const void* k;     // [B, Hkv, Nk, D]
  const void* v;     // [B, Hkv, Nk, D]
  const void* o;     // [B, H,   Nq, D]  forward output
  const void* dout;  // [B, H,   Nq, D]  gradient of the output
  const float* lse;  // [B, H, Nq] contiguous, natural log (forward output)
  float* delta;      // [2, B, H, Nq] contiguous, written by the pre kernel: delta, then (with
                     // ATTNC_BWD_LSE2) the LSE in the log2 domain, +inf where it is -inf
  void* dq;          // [B, H,   Nq, D]
  void* dk;          // [B, Hkv, Nk, D]
  void* dv;          // [B, Hkv, Nk, D]
  long long q_sb, q_sh, q_sn;
  long long k_sb, k_sh, k_sn;
  long long v_sb, v_sh, v_sn;
  long long o_sb, o_sh, o_sn;
  long long do_sb, do_sh, do_sn;
  long long dq_sb, dq_sh, dq_sn;
  long long dk_sb, dk_sh, dk_sn;
  long long dv_sb, dv_sh, dv_sn;
  int B, H, Hkv, Nq, Nk;
  int layer;
  float scale;
  float scale_log2;
  // fp32, ceil(Nq/128)*128 rows x D per (b, h) in 64 x 64 tiles (dq_tile_offset below): the sm_90a
  // path's dQ accumulator (zeroed by pre, summed into by dkdv, converted by dq); null / unused
  // on the mma.sync path.
  float* dq_accum;
};

struct BwdParams {
  BwdTensors t;
  PatternParams pattern;
};

template <typename T> struct BwdElem;
template <> struct BwdElem<__nv_bfloat16> {
  static __device__ __forceinline__ float2 unpack2(uint32_t u) {
    return __bfloat1622float2(*reinterpret_cast<__nv_bfloat162*>(&u));
  }
};
template <> struct BwdElem<__half> {
  static __device__ __forceinline__ float2 unpack2(uint32_t u) {
    return __half22float2(*reinterpret_cast<__half2*>(&u));
  }
};

// log2-domain LSE used by both gradient kernels: +inf for rows that must give P = 0.
__device__ __forceinline__ float lse2_of(const BwdTensors& t, int b, int h, int q) {
  if (q >= t.Nq) return pos_inf();
  float x = t.lse[((long long)b * t.H + h) * t.Nq + q];
  return x == neg_inf() ? pos_inf() : x * LOG2E;
}
__device__ __forceinline__ float delta_of(const BwdTensors& t, int b, int h, int q) {
  return q < t.Nq ? t.delta[((long long)b * t.H + h) * t.Nq + q] : 0.0f;
}

// P and dS of one score element. acc: raw q.k; dp: raw dO.v; returns dS (w.r.t. the scaled
// logit s) and overwrites acc with P.
__device__ __forceinline__ float bwd_element(float& acc, float dp, float lse2, float delta,
                                             const BwdTensors& t, const PatternParams& pp, int b,
                                             int h, int q, int k, bool check, bool full) {
  const int l = t.layer;
  float x, grad = 1.0f;
  if constexpr (HAS_SCORE_MOD) {
    float s = acc * t.scale;
    x = score_mod(pp, s, b, l, h, q, k) * LOG2E;
    grad = score_mod_grad(pp, s, b, l, h, q, k);
  } else {
    x = acc * t.scale_log2;
  }
  float p = fast_exp2(x - lse2);
  if (check) {
    bool ok = k < t.Nk;
    if (!full) ok = ok && q < t.Nq && mask(pp, b, l, h, q, k);
    if (!ok) p = 0.0f;
  }
  acc = p;
  // masked elements: score_mod_grad may be inf or NaN there (e.g. log of a negative logit),
  // and 0 * inf must not reach dS
  if constexpr (HAS_SCORE_MOD) return p == 0.0f ? 0.0f : p * (dp - delta) * grad;
  return p * (dp - delta);
}

// The fp32 dQ accumulator (BwdTensors::dq_accum) is stored in tiles of 64 query rows x 64
// head-dim columns, each 16 KB contiguous: [B, H, 2 ceil(Nq/128), D/64, 64, 64], so that one
// bulk reduce-add carries a warpgroup's partial tile. Inside a tile, the 16-byte chunk c of
// row r sits at chunk c ^ (r % 8) (bank-conflict-free fragment stores into the staging tile).
// dq_swizzle: element offset of (row, col) inside a tile; dq_tile_offset: the tile of
// (b, h, query chunk starting at q0, column slice).
__device__ __forceinline__ int dq_swizzle(int row, int col) {
  return row * 64 + ((((col >> 2) & 7) ^ (row & 7)) | (col >> 2 & 8)) * 4 + (col & 3);
}
template <int D>
__device__ __forceinline__ long long dq_tile_offset(const BwdTensors& t, int b, int h, int q0, int slice) {
  // whole 128-row query tiles: the dK/dV kernel's second 64-row half of the last tile may lie
  // past Nq (its partial is zero) and must still land inside the buffer
  const long long chunks = (t.Nq + 127) / 128 * 2;
  return (((long long)b * t.H + h) * chunks + q0 / 64) * (D * 64) + slice * 64 * 64;
}

// ---------------------------------------------------------------------------
// pre: delta = rowsum(dO * O). D/8 threads per row, 16 bytes each.
// ---------------------------------------------------------------------------
template <int D, int BN> struct BwdPreConfig {
  static constexpr int NTHREADS = 256;
  static constexpr int ROWS = NTHREADS / (D / 8);
  static constexpr int SMEM_BYTES = 0;
};

template <typename Elem, int D, int BN>
__device__ __forceinline__ void bwd_pre(const BwdTensors& t, const PatternParams&) {
  constexpr int TPR = D / 8;
  constexpr int ROWS = BwdPreConfig<D, BN>::ROWS;
  const int h = blockIdx.y, b = blockIdx.z;
  const int q = blockIdx.x * ROWS + threadIdx.x / TPR;
  const int c = threadIdx.x % TPR;
  float sum = 0.0f;
  if (q < t.Nq) {
    const uint16_t* og = reinterpret_cast<const uint16_t*>(t.o) + b * t.o_sb + h * t.o_sh + q * t.o_sn;
    const uint16_t* dg = reinterpret_cast<const uint16_t*>(t.dout) + b * t.do_sb + h * t.do_sh + q * t.do_sn;
    uint4 ov = *reinterpret_cast<const uint4*>(og + c * 8);
    uint4 dv = *reinterpret_cast<const uint4*>(dg + c * 8);
    const uint32_t* o4 = reinterpret_cast<const uint32_t*>(&ov);
    const uint32_t* d4 = reinterpret_cast<const uint32_t*>(&dv);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      float2 a = BwdElem<Elem>::unpack2(o4[i]), d = BwdElem<Elem>::unpack2(d4[i]);
      sum = fmaf(a.x, d.x, fmaf(a.y, d.y, sum));
    }
  }
#pragma unroll
  for (int off = TPR / 2; off > 0; off >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, off);
  if (c == 0 && q < t.Nq) {
    const long long row = ((long long)b * t.H + h) * t.Nq + q;
    t.delta[row] = sum;
    // the sm_90a dK/dV kernel's per-lane LSE handling, done once per row (ATTNC_BWD_LSE2)
    if (ATTNC_BWD_LSE2) t.delta[(long long)t.B * t.H * t.Nq + row] = lse2_of(t, b, h, q);
  }
  if (t.dq_accum != nullptr && q < t.Nq) {  // zero this thread's 8 columns of the dQ accumulator
    float* tile = t.dq_accum + dq_tile_offset<D>(t, b, h, q & ~63, c / 8);
    *reinterpret_cast<float4*>(tile + dq_swizzle(q & 63, c * 8 % 64)) = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    *reinterpret_cast<float4*>(tile + dq_swizzle(q & 63, c * 8 % 64 + 4)) = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  }
}

// Writes a warp's 16 x D fp32 accumulator (C layout) times `mul` to a [N, D] slice, rows
// row0 + g (+8); rows >= n_valid are skipped.
template <typename Elem, int D>
__device__ __forceinline__ void store_rows(Elem* base, long long stride, int row0, int n_valid,
                                           const float (&acc)[D / 2], float mul) {
  const int lane = threadIdx.x & 31, g = lane >> 2, tq = lane & 3;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    int row = row0 + g + 8 * r;
    if (row < n_valid) {
#pragma unroll
      for (int i = 0; i < D / 8; ++i) {
        uint32_t v = ElemTraits<Elem>::pack2(acc[4 * i + 2 * r] * mul, acc[4 * i + 2 * r + 1] * mul);
        *reinterpret_cast<uint32_t*>(base + row * stride + i * 8 + 2 * tq) = v;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// dK / dV
// ---------------------------------------------------------------------------
template <int D, int BN> struct BwdDkdvConfig {
  static constexpr int KEYS = BN;  // keys per CTA (the loader reads attnc_bwd_dkdv_keys)
  static constexpr int BM = 128;
  static constexpr int NWARPS = BN / 16;
  static constexpr int NTHREADS = NWARPS * 32;
  // query rows per inner chunk: S^T and dP^T take QC/2 floats each beside dK, dV (D floats);
  // 64 spills at D = 128.
  static constexpr int QC = D == 128 ? 32 : 64;
  static constexpr int KV_BYTES = BN * D * 2;
  static constexpr int QT_BYTES = BM * D * 2;
  static constexpr int STAGE_BYTES = 2 * QT_BYTES + 2 * BM * 4;  // Q, dO, lse2, delta
  static constexpr int SMEM_BYTES = 1024 + 2 * KV_BYTES + 2 * STAGE_BYTES;
  static_assert(SMEM_BYTES <= 232448, "exceeds the 227 KB of shared memory per block");
};

template <typename Elem, int D, int BN>
__device__ __forceinline__ void bwd_dkdv_sm80(const BwdTensors& t, const PatternParams& pp) {
  using Cfg = BwdDkdvConfig<D, BN>;
  constexpr int BM = Cfg::BM, QC = Cfg::QC, NT = Cfg::NTHREADS;
  constexpr int DC = D / 8, KS = D / 16, QCC = QC / 8;
  static_assert(D == 64 || D == 128, "head dim");
  static_assert(BN == 64 || BN == 128, "key tile");

  extern __shared__ uint8_t smem_raw[];
  const uint32_t base = (smem_u32(smem_raw) + 1023u) & ~1023u;
  const uint32_t sK = base, sV = base + Cfg::KV_BYTES;
  auto sQ = [&](int st) { return base + 2 * Cfg::KV_BYTES + st * Cfg::STAGE_BYTES; };
  auto sdO = [&](int st) { return sQ(st) + Cfg::QT_BYTES; };
  auto sL = [&](int st) { return sQ(st) + 2 * Cfg::QT_BYTES; };  // lse2[128] then delta[128]

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g = lane >> 2, tq = lane & 3;
  const int kt = blockIdx.x, hk = blockIdx.y, b = blockIdx.z, l = t.layer;
  const int G = t.H / t.Hkv, h0 = hk * G;
  const int k0 = kt * BN;
  const bool ragged_k = k0 + BN > t.Nk;

  const uint16_t* kg = reinterpret_cast<const uint16_t*>(t.k) + b * t.k_sb + hk * t.k_sh;
  const uint16_t* vg = reinterpret_cast<const uint16_t*>(t.v) + b * t.v_sb + hk * t.v_sh;

  // Work items: (query head hi of the group, j-th query tile of the transposed schedule).
  int cur_hi = 0, cur_j = -1, cur_n = num_query_tiles(pp, b, l, h0, kt);
  auto advance = [&](int& hi, int& j, int& n) {
    ++j;
    while (j >= n && hi < G) {
      ++hi;
      j = 0;
      n = hi < G ? num_query_tiles(pp, b, l, h0 + hi, kt) : 0;
    }
  };
  advance(cur_hi, cur_j, cur_n);

  auto issue = [&](int hi, int j, int stage) {
    const int h = h0 + hi;
    bool f;
    const int qt = query_tile(pp, b, l, h, kt, j, f);
    const uint16_t* qg = reinterpret_cast<const uint16_t*>(t.q) + b * t.q_sb + h * t.q_sh;
    const uint16_t* dg = reinterpret_cast<const uint16_t*>(t.dout) + b * t.do_sb + h * t.do_sh;
    load_tile_async<BM, D, NT, true>(sQ(stage), qg, t.q_sn, qt * BM, t.Nq, tid);
    load_tile_async<BM, D, NT, true>(sdO(stage), dg, t.do_sn, qt * BM, t.Nq, tid);
    cp_async_commit();
    for (int r = tid; r < BM; r += NT) {
      int q = qt * BM + r;
      float l2 = lse2_of(t, b, h, q), dl = delta_of(t, b, h, q);
      st_shared_f32(sL(stage) + 4 * r, l2);
      st_shared_f32(sL(stage) + 4 * (BM + r), dl);
    }
  };

  float dk[DC * 4], dv[DC * 4];
#pragma unroll
  for (int i = 0; i < DC * 4; ++i) dk[i] = dv[i] = 0.0f;

  if (cur_hi < G) {
    load_tile_async<BN, D, NT>(sK, kg, t.k_sn, k0, t.Nk, tid);
    load_tile_async<BN, D, NT>(sV, vg, t.v_sn, k0, t.Nk, tid);
    cp_async_commit();
    issue(cur_hi, cur_j, 0);
  }
  for (int it = 0; cur_hi < G; ++it) {
    const int stage = it & 1;
    int nx_hi = cur_hi, nx_j = cur_j, nx_n = cur_n;
    advance(nx_hi, nx_j, nx_n);
    cp_async_wait<0>();
    __syncthreads();  // item `it` landed (and K/V); every warp is done with item it-1
    if (nx_hi < G) issue(nx_hi, nx_j, stage ^ 1);

    const int h = h0 + cur_hi;
    bool full;
    const int qt = query_tile(pp, b, l, h, kt, cur_j, full);
    const int q0 = qt * BM;
    const bool check = !full || ragged_k;
    const int krow0 = k0 + warp * 16 + g;  // key of this lane's rows g (and g+8)

#pragma unroll 1
    for (int c = 0; c < BM / QC; ++c) {
      float st[QCC * 4], dp[QCC * 4];
#pragma unroll
      for (int i = 0; i < QCC * 4; ++i) st[i] = dp[i] = 0.0f;
#pragma unroll
      for (int kk = 0; kk < KS; ++kk) {
        uint32_t kf[4], vf[4];
        ldmatrix_x4(kf, sK + tile_offset<BN>(warp * 16 + (lane & 15), kk * 2 + (lane >> 4)));
        ldmatrix_x4(vf, sV + tile_offset<BN>(warp * 16 + (lane & 15), kk * 2 + (lane >> 4)));
#pragma unroll
        for (int np = 0; np < QCC / 2; ++np) {
          const int row = c * QC + np * 16 + (lane & 7) + ((lane >> 4) << 3);
          const int ch = kk * 2 + ((lane >> 3) & 1);
          uint32_t qf[4], df[4];
          ldmatrix_x4(qf, sQ(stage) + tile_offset<BM>(row, ch));
          mma_16816<Elem>(st + 8 * np, kf, qf[0], qf[1]);
          mma_16816<Elem>(st + 8 * np + 4, kf, qf[2], qf[3]);
          ldmatrix_x4(df, sdO(stage) + tile_offset<BM>(row, ch));
          mma_16816<Elem>(dp + 8 * np, vf, df[0], df[1]);
          mma_16816<Elem>(dp + 8 * np + 4, vf, df[2], df[3]);
        }
      }
      // Elementwise: st -> P^T, dp -> dS^T. Element (i, e): key krow0 + 8*(e>>1),
      // query column c*QC + 8i + 2tq + (e&1) of the tile.
#pragma unroll
      for (int i = 0; i < QCC; ++i) {
#pragma unroll
        for (int e1 = 0; e1 < 2; ++e1) {
          const int col = c * QC + 8 * i + 2 * tq + e1;
          const float l2 = ld_shared_f32(sL(stage) + 4 * col), dl = ld_shared_f32(sL(stage) + 4 * (BM + col));
#pragma unroll
          for (int e0 = 0; e0 < 2; ++e0) {
            const int e = 2 * e0 + e1;
            dp[4 * i + e] = bwd_element(st[4 * i + e], dp[4 * i + e], l2, dl, t, pp, b, h, q0 + col,
                                        krow0 + 8 * e0, check, full);
          }
        }
      }
      // dV += P^T dO, dK += dS^T Q over this chunk's QC query rows.
#pragma unroll
      for (int kk = 0; kk < QC / 16; ++kk) {
        uint32_t pa[4] = {ElemTraits<Elem>::pack2(st[8 * kk + 0], st[8 * kk + 1]),
                          ElemTraits<Elem>::pack2(st[8 * kk + 2], st[8 * kk + 3]),
                          ElemTraits<Elem>::pack2(st[8 * kk + 4], st[8 * kk + 5]),
                          ElemTraits<Elem>::pack2(st[8 * kk + 6], st[8 * kk + 7])};
        uint32_t sa[4] = {ElemTraits<Elem>::pack2(dp[8 * kk + 0], dp[8 * kk + 1]),
                          ElemTraits<Elem>::pack2(dp[8 * kk + 2], dp[8 * kk + 3]),
                          ElemTraits<Elem>::pack2(dp[8 * kk + 4], dp[8 * kk + 5]),
                          ElemTraits<Elem>::pack2(dp[8 * kk + 6], dp[8 * kk + 7])};
        const int row = c * QC + kk * 16 + (lane & 7) + (((lane >> 3) & 1) << 3);
#pragma unroll
        for (int dq2 = 0; dq2 < DC / 2; ++dq2) {
          uint32_t f[4];
          ldmatrix_x4_trans(f, sdO(stage) + tile_offset<BM>(row, dq2 * 2 + (lane >> 4)));
          mma_16816<Elem>(dv + 8 * dq2, pa, f[0], f[1]);
          mma_16816<Elem>(dv + 8 * dq2 + 4, pa, f[2], f[3]);
          ldmatrix_x4_trans(f, sQ(stage) + tile_offset<BM>(row, dq2 * 2 + (lane >> 4)));
          mma_16816<Elem>(dk + 8 * dq2, sa, f[0], f[1]);
          mma_16816<Elem>(dk + 8 * dq2 + 4, sa, f[2], f[3]);
        }
      }
    }
    cur_hi = nx_hi;
    cur_j = nx_j;
    cur_n = nx_n;
  }

  Elem* dkg = reinterpret_cast<Elem*>(t.dk) + b * t.dk_sb + hk * t.dk_sh;
  Elem* dvg = reinterpret_cast<Elem*>(t.dv) + b * t.dv_sb + hk * t.dv_sh;
  store_rows<Elem, D>(dkg, t.dk_sn, k0 + warp * 16, t.Nk, dk, t.scale);
  store_rows<Elem, D>(dvg, t.dv_sn, k0 + warp * 16, t.Nk, dv, 1.0f);
}

// ---------------------------------------------------------------------------
// dQ
// ---------------------------------------------------------------------------
template <int D, int BN> struct BwdDqConfig {
  static constexpr int BM = 128;
  static constexpr int NTHREADS = 256;
  static constexpr int KC = 64;  // keys per inner chunk
  static constexpr int QT_BYTES = BM * D * 2;
  static constexpr int KV_BYTES = BN * D * 2;
  static constexpr int SMEM_BYTES = 1024 + 2 * QT_BYTES + 2 * 2 * KV_BYTES;
  static_assert(SMEM_BYTES <= 232448, "exceeds the 227 KB of shared memory per block");
};

template <typename Elem, int D, int BN>
__device__ __forceinline__ void bwd_dq_sm80(const BwdTensors& t, const PatternParams& pp) {
  using Cfg = BwdDqConfig<D, BN>;
  constexpr int BM = Cfg::BM, KC = Cfg::KC, NT = Cfg::NTHREADS;
  constexpr int DC = D / 8, KS = D / 16, KCC = KC / 8;
  static_assert(D == 64 || D == 128, "head dim");
  static_assert(BN == 64 || BN == 128, "key tile");

  extern __shared__ uint8_t smem_raw[];
  const uint32_t base = (smem_u32(smem_raw) + 1023u) & ~1023u;
  const uint32_t sQ = base, sdO = base + Cfg::QT_BYTES;
  auto sK = [&](int st) { return base + 2 * Cfg::QT_BYTES + st * 2 * Cfg::KV_BYTES; };
  auto sV = [&](int st) { return sK(st) + Cfg::KV_BYTES; };

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g = lane >> 2, tq = lane & 3;
  const int qt = query_tile_index();
  const int h = blockIdx.y, b = blockIdx.z, l = t.layer;
  const int hk = h / (t.H / t.Hkv);
  const int q0 = qt * BM;
  const int qrow = q0 + warp * 16 + g;  // this lane's rows qrow, qrow + 8

  const uint16_t* qg = reinterpret_cast<const uint16_t*>(t.q) + b * t.q_sb + h * t.q_sh;
  const uint16_t* dg = reinterpret_cast<const uint16_t*>(t.dout) + b * t.do_sb + h * t.do_sh;
  const uint16_t* kg = reinterpret_cast<const uint16_t*>(t.k) + b * t.k_sb + hk * t.k_sh;
  const uint16_t* vg = reinterpret_cast<const uint16_t*>(t.v) + b * t.v_sb + hk * t.v_sh;

  auto issue_tile = [&](int j) {
    bool f;
    int kt = key_tile(pp, b, l, h, qt, j, f);
    int stage = j & 1;
    load_tile_async<BN, D, NT>(sK(stage), kg, t.k_sn, kt * BN, t.Nk, tid);
    load_tile_async<BN, D, NT>(sV(stage), vg, t.v_sn, kt * BN, t.Nk, tid);
    cp_async_commit();
  };

  float dq[DC * 4];
#pragma unroll
  for (int i = 0; i < DC * 4; ++i) dq[i] = 0.0f;
  const float l2[2] = {lse2_of(t, b, h, qrow), lse2_of(t, b, h, qrow + 8)};
  const float dl[2] = {delta_of(t, b, h, qrow), delta_of(t, b, h, qrow + 8)};

  const int n = num_key_tiles(pp, b, l, h, qt);
  if (n > 0) {
    load_tile_async<BM, D, NT>(sQ, qg, t.q_sn, q0, t.Nq, tid);
    load_tile_async<BM, D, NT>(sdO, dg, t.do_sn, q0, t.Nq, tid);
    cp_async_commit();
    issue_tile(0);
  }
  for (int j = 0; j < n; ++j) {
    const int stage = j & 1;
    cp_async_wait<0>();
    __syncthreads();  // tile j landed, every warp is done with tile j-1
    if (j + 1 < n) issue_tile(j + 1);
    bool full;
    const int kt = key_tile(pp, b, l, h, qt, j, full);
    const int k0 = kt * BN;
    const bool check = !full || k0 + BN > t.Nk;

#pragma unroll 1
    for (int c = 0; c < BN / KC; ++c) {
      float s[KCC * 4], dp[KCC * 4];
#pragma unroll
      for (int i = 0; i < KCC * 4; ++i) s[i] = dp[i] = 0.0f;
#pragma unroll
      for (int kk = 0; kk < KS; ++kk) {
        uint32_t qf[4], df[4];
        ldmatrix_x4(qf, sQ + tile_offset<BM>(warp * 16 + (lane & 15), kk * 2 + (lane >> 4)));
        ldmatrix_x4(df, sdO + tile_offset<BM>(warp * 16 + (lane & 15), kk * 2 + (lane >> 4)));
#pragma unroll
        for (int np = 0; np < KCC / 2; ++np) {
          const int row = c * KC + np * 16 + (lane & 7) + ((lane >> 4) << 3);
          const int ch = kk * 2 + ((lane >> 3) & 1);
          uint32_t kf[4], vf[4];
          ldmatrix_x4(kf, sK(stage) + tile_offset<BN>(row, ch));
          mma_16816<Elem>(s + 8 * np, qf, kf[0], kf[1]);
          mma_16816<Elem>(s + 8 * np + 4, qf, kf[2], kf[3]);
          ldmatrix_x4(vf, sV(stage) + tile_offset<BN>(row, ch));
          mma_16816<Elem>(dp + 8 * np, df, vf[0], vf[1]);
          mma_16816<Elem>(dp + 8 * np + 4, df, vf[2], vf[3]);
        }
      }
#pragma unroll
      for (int i = 0; i < KCC; ++i)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int r = e >> 1;
          dp[4 * i + e] = bwd_element(s[4 * i + e], dp[4 * i + e], l2[r], dl[r], t, pp, b, h, qrow + 8 * r,
                                      k0 + c * KC + 8 * i + 2 * tq + (e & 1), check, full);
        }
      // dQ += dS K over this chunk's KC keys.
#pragma unroll
      for (int kk = 0; kk < KC / 16; ++kk) {
        uint32_t sa[4] = {ElemTraits<Elem>::pack2(dp[8 * kk + 0], dp[8 * kk + 1]),
                          ElemTraits<Elem>::pack2(dp[8 * kk + 2], dp[8 * kk + 3]),
                          ElemTraits<Elem>::pack2(dp[8 * kk + 4], dp[8 * kk + 5]),
                          ElemTraits<Elem>::pack2(dp[8 * kk + 6], dp[8 * kk + 7])};
        const int row = c * KC + kk * 16 + (lane & 7) + (((lane >> 3) & 1) << 3);
#pragma unroll
        for (int dq2 = 0; dq2 < DC / 2; ++dq2) {
          uint32_t f[4];
          ldmatrix_x4_trans(f, sK(stage) + tile_offset<BN>(row, dq2 * 2 + (lane >> 4)));
          mma_16816<Elem>(dq + 8 * dq2, sa, f[0], f[1]);
          mma_16816<Elem>(dq + 8 * dq2 + 4, sa, f[2], f[3]);
        }
      }
    }
  }
  Elem* dqg = reinterpret_cast<Elem*>(t.dq) + b * t.dq_sb + h * t.dq_sh;
  store_rows<Elem, D>(dqg, t.dq_sn, q0 + warp * 16, t.Nq, dq, t.scale);
}

}  // namespace attnc
