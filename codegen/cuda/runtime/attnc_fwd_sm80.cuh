// attnc CUDA runtime: the portable forward path (sm_80+, mma.sync m16n8k16 + ldmatrix).
// One CTA = one query tile of BLOCK_M = 128 rows = 8 warps of 16 rows; Q stays in shared
// memory, K/V tiles stream through a 2-stage cp.async ring (tile j+1 loads while
// tile j is computed). Same hooks, tile shapes and epilogue as the sm_90a path.
#pragma once

#include "common.cuh"
#include "epilogue.cuh"
#include "mma_sm80.cuh"
#include "softmax.cuh"

namespace attnc {

template <int D, int BN> struct Sm80Config {
  static constexpr int BM = 128;
  static constexpr int STAGES = 2;
  static constexpr int Q_BYTES = BM * D * 2;
  static constexpr int KV_BYTES = BN * D * 2;
  static constexpr int SMEM_BYTES = 1024 + Q_BYTES + STAGES * 2 * KV_BYTES;
  static_assert(SMEM_BYTES <= 232448, "exceeds the 227 KB of shared memory per block");
};

template <typename Elem, int D, int BN>
__device__ __forceinline__ void fwd_sm80(const FwdTensors& t, const PatternParams& pp) {
  using Cfg = Sm80Config<D, BN>;
  constexpr int BM = Cfg::BM;
  constexpr int SUB = (D == 128 && BN == 128) ? 64 : BN;  // keys per softmax step
  constexpr int NCS = SUB / 8;
  constexpr int DC = D / 8;
  constexpr int KS = D / 16;
  static_assert(D == 64 || D == 128, "head dim");
  static_assert(BN == 64 || BN == 128, "key tile");

  extern __shared__ uint8_t smem_raw[];
  const uint32_t base = (smem_u32(smem_raw) + 1023u) & ~1023u;
  const uint32_t sQ = base;
  auto sK = [&](int stage) { return base + Cfg::Q_BYTES + stage * 2 * Cfg::KV_BYTES; };
  auto sV = [&](int stage) { return sK(stage) + Cfg::KV_BYTES; };

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g = lane >> 2, tq = lane & 3;
  int qt, h;
  query_work_item(qt, h);
  const int b = blockIdx.z, l = t.layer;
  const int hk = h / (t.H / t.Hkv);
  const int q0 = qt * BM;
  const RowMasks rm = row_masks(t, pp, b, h, q0 + warp * 16 + g);

  const uint16_t* qg = reinterpret_cast<const uint16_t*>(t.q) + b * t.q_sb + h * t.q_sh;
  const uint16_t* kg = reinterpret_cast<const uint16_t*>(t.k) + b * t.k_sb + hk * t.k_sh;
  const uint16_t* vg = reinterpret_cast<const uint16_t*>(t.v) + b * t.v_sb + hk * t.v_sh;

  auto issue_tile = [&](int j) {
    bool f;
    int kt = key_tile(pp, b, l, h, qt, j, f);
    int stage = j % Cfg::STAGES;
    load_tile_async<BN, D, THREADS>(sK(stage), kg, t.k_sn, kt * BN, t.Nk, tid);
    load_tile_async<BN, D, THREADS>(sV(stage), vg, t.v_sn, kt * BN, t.Nk, tid);
    cp_async_commit();
  };

  float o[DC * 4];
#pragma unroll
  for (int i = 0; i < DC * 4; ++i) o[i] = 0.0f;
  SoftmaxState st;
  st.init();

  const int n = num_key_tiles(pp, b, l, h, qt);
  if (n > 0) {
    load_tile_async<BM, D, THREADS>(sQ, qg, t.q_sn, q0, t.Nq, tid);
    cp_async_commit();
    issue_tile(0);
    cp_async_wait<0>();
    __syncthreads();

    for (int j = 0; j < n; ++j) {
      const int stage = j % Cfg::STAGES;
      if (j > 0) {
        cp_async_wait<0>();
        __syncthreads();  // tile j landed, every warp is done with tile j-1
      }
      if (j + 1 < n) issue_tile(j + 1);

      bool full;
      const int kt = key_tile(pp, b, l, h, qt, j, full);
      // The tile's keys in softmax steps of SUB: at D = 128 a 128-key tile goes in two halves,
      // so that the scores of only 64 keys are live beside the output accumulator (no spills).
#pragma unroll 1
      for (int sub = 0; sub < BN / SUB; ++sub) {
        const int k0 = kt * BN + sub * SUB;
        float s[NCS * 4];
#pragma unroll
        for (int i = 0; i < NCS * 4; ++i) s[i] = 0.0f;
#pragma unroll
        for (int kk = 0; kk < KS; ++kk) {
          // Q fragments are re-read per tile: keeping all of them in registers spills at D=128.
          uint32_t qf[4];
          ldmatrix_x4(qf, sQ + tile_offset<BM>(warp * 16 + (lane & 15), kk * 2 + (lane >> 4)));
#pragma unroll
          for (int np = 0; np < NCS / 2; ++np) {
            uint32_t kf[4];
            ldmatrix_x4(kf, sK(stage) + tile_offset<BN>(sub * SUB + np * 16 + (lane & 7) + ((lane >> 4) << 3),
                                                        kk * 2 + ((lane >> 3) & 1)));
            mma_16816<Elem>(s + 8 * np, qf, kf[0], kf[1]);
            mma_16816<Elem>(s + 8 * np + 4, qf, kf[2], kf[3]);
          }
        }

        float factor = prepare_scores<NCS>(s, t, pp, rm, b, h, q0 + warp * 16 + g, k0, k0 + 2 * tq, full);
        float alpha[2];
        st.step<NCS>(s, factor, alpha);
        rescale_rows<DC>(o, alpha);

#pragma unroll
        for (int kk = 0; kk < SUB / 16; ++kk) {
          uint32_t pa[4] = {ElemTraits<Elem>::pack2(s[8 * kk + 0], s[8 * kk + 1]),
                            ElemTraits<Elem>::pack2(s[8 * kk + 2], s[8 * kk + 3]),
                            ElemTraits<Elem>::pack2(s[8 * kk + 4], s[8 * kk + 5]),
                            ElemTraits<Elem>::pack2(s[8 * kk + 6], s[8 * kk + 7])};
#pragma unroll
          for (int dp = 0; dp < DC / 2; ++dp) {
            uint32_t vf[4];
            ldmatrix_x4_trans(vf, sV(stage) + tile_offset<BN>(sub * SUB + kk * 16 + (lane & 7) + (((lane >> 3) & 1) << 3),
                                                              dp * 2 + (lane >> 4)));
            mma_16816<Elem>(o + 8 * dp, pa, vf[0], vf[1]);
            mma_16816<Elem>(o + 8 * dp + 4, pa, vf[2], vf[3]);
          }
        }
      }
    }
  }
  store_output<Elem, D, BM>(t, sQ, o, st, b, h, q0, warp * 16);
}

}  // namespace attnc
