// attnc CUDA runtime: the Hopper forward path (sm_90a, wgmma).
// One CTA = one query tile of BLOCK_M = 128 rows = 2 warpgroups of 64 rows; the 256
// threads also share the cp.async loads of K/V tiles into a 3-stage ring, handed over
// through mbarriers (no CTA-wide barrier per tile). Per key tile:
//   S = Q K^T    wgmma m64n{BN}k16, A and B from swizzled shared memory
//   P = softmax  in registers (online, exp2), mask()/score_mod() on PARTIAL tiles only
//   O += P V     wgmma m64n{D}k16, A = P from registers, B = V (MN-major) from smem
// The QK^T of tile j+1 is issued before P_j V_j, so the softmax of tile j+1 runs while
// the tensor cores still work on P_j V_j (intra-warpgroup overlap, as in FA3).
#pragma once

#include "common.cuh"
#include "epilogue.cuh"
#include "softmax.cuh"
#include "wgmma_sm90.cuh"

namespace attnc {

template <int D, int BN> struct Sm90Config {
  static constexpr int BM = 128;
  static constexpr int STAGES = 3;
  static constexpr int Q_BYTES = BM * D * 2;
  static constexpr int KV_BYTES = BN * D * 2;  // one of K or V
  static constexpr int BARRIER_BYTES = 128;  // mbarriers: Q, K[STAGES], V[STAGES], free[STAGES]
  static constexpr int SMEM_BYTES =
      1024 /* alignment slack */ + Q_BYTES + STAGES * 2 * KV_BYTES + BARRIER_BYTES;
  static_assert(SMEM_BYTES <= 232448, "exceeds the 227 KB of shared memory per block");
};

template <typename Elem, int D, int BN>
__device__ __forceinline__ void fwd_sm90(const FwdTensors& t, const PatternParams& pp) {
  using Cfg = Sm90Config<D, BN>;
  constexpr int BM = Cfg::BM;
  constexpr int NC = BN / 8;   // score chunks per warp row block
  constexpr int KS = D / 16;   // k-steps of Q K^T
  constexpr int PS = BN / 16;  // k-steps of P V
  static_assert(D == 64 || D == 128, "head dim");
  static_assert(BN == 64 || BN == 128, "key tile");

  extern __shared__ uint8_t smem_raw[];
  const uint32_t base = (smem_u32(smem_raw) + 1023u) & ~1023u;
  const uint32_t sQ = base;
  auto sK = [&](int stage) { return base + Cfg::Q_BYTES + stage * 2 * Cfg::KV_BYTES; };
  auto sV = [&](int stage) { return sK(stage) + Cfg::KV_BYTES; };

  const int tid = threadIdx.x;
  const int wg = tid >> 7;
  const int warp_in_wg = (tid >> 5) & 3;
  const int lane = tid & 31, g = lane >> 2, tq = lane & 3;
  int qt, h;
  query_work_item(qt, h);
  const int b = blockIdx.z, l = t.layer;
  const int hk = h / (t.H / t.Hkv);
  const int q0 = qt * BM;

  const uint16_t* qg = reinterpret_cast<const uint16_t*>(t.q) + b * t.q_sb + h * t.q_sh;
  const uint16_t* kg = reinterpret_cast<const uint16_t*>(t.k) + b * t.k_sb + hk * t.k_sh;
  const uint16_t* vg = reinterpret_cast<const uint16_t*>(t.v) + b * t.v_sb + hk * t.v_sh;

  // Stage hand-off without CTA-wide barriers, so the two warpgroups can drift apart and
  // one's softmax overlaps the other's wgmma: every thread copies its share of a tile and
  // arrives (when its copies land) on full_k/full_v; every thread arrives on empty once
  // its warpgroup is done with the tile. Tile j lives in stage j % STAGES, fill/use
  // number j / STAGES gives the phase parity.
  const uint32_t bars = sK(Cfg::STAGES);
  const uint32_t bar_q = bars;
  auto full_k = [&](int stage) { return bars + 8 + 8 * stage; };
  auto full_v = [&](int stage) { return bars + 8 + 8 * Cfg::STAGES + 8 * stage; };
  auto empty = [&](int stage) { return bars + 8 + 16 * Cfg::STAGES + 8 * stage; };
  if (tid == 0) {
    mbarrier_init(bar_q, THREADS);
    for (int st = 0; st < Cfg::STAGES; ++st) {
      mbarrier_init(full_k(st), THREADS);
      mbarrier_init(full_v(st), THREADS);
      mbarrier_init(empty(st), THREADS);
    }
  }
  __syncthreads();

  // The row's schedule once (segment starts and counts), then per tile a short walk.
  const KeyTileRow krow = key_tile_row(pp, b, l, h, qt);
  auto issue_tile = [&](int j) {
    int stage = j % Cfg::STAGES;
    if (j >= Cfg::STAGES) mbarrier_wait(empty(stage), (j / Cfg::STAGES - 1) & 1);
    bool f;
    int kt = key_tile_at(pp, krow, j, f);
    load_tile_async<BN, D, THREADS>(sK(stage), kg, t.k_sn, kt * BN, t.Nk, tid);
    cp_async_mbarrier_arrive(full_k(stage));
    load_tile_async<BN, D, THREADS>(sV(stage), vg, t.v_sn, kt * BN, t.Nk, tid);
    cp_async_mbarrier_arrive(full_v(stage));
  };
  auto wait_k = [&](int j) { mbarrier_wait(full_k(j % Cfg::STAGES), (j / Cfg::STAGES) & 1); };
  auto wait_v = [&](int j) { mbarrier_wait(full_v(j % Cfg::STAGES), (j / Cfg::STAGES) & 1); };

  // This warpgroup's 64 rows of Q: A descriptors per k-step.
  auto q_desc = [&](int kk) {
    return make_smem_desc(sQ + (kk >> 2) * (BM * 128) + wg * 64 * 128 + (kk & 3) * 32, 16, 1024);
  };
  auto qk = [&](float (&s)[NC * 4], int stage) {
#pragma unroll
    for (int kk = 0; kk < KS; ++kk) {
      uint64_t db = make_smem_desc(sK(stage) + (kk >> 2) * (BN * 128) + (kk & 3) * 32, 16, 1024);
      Wgmma<Elem, BN>::ss(s, q_desc(kk), db, kk > 0 ? 1 : 0);
    }
  };
  auto pv = [&](float (&o)[D / 2], uint32_t (&p)[PS][4], int stage) {
#pragma unroll
    for (int kk = 0; kk < PS; ++kk) {
      uint64_t db = make_smem_desc(sV(stage) + kk * 16 * 128, BN * 128, 1024);
      Wgmma<Elem, D>::rs(o, p[kk], db);
    }
  };
  const int q_row = q0 + wg * 64 + warp_in_wg * 16 + g;
  const RowMasks rm = row_masks(t, pp, b, h, q_row);
  // Masks, softmax-updates and converts one tile of scores in s to the P fragments.
  auto softmax_tile = [&](float (&s)[NC * 4], int j, SoftmaxState& st, float (&alpha)[2]) {
    bool full;
    int kt = key_tile_at(pp, krow, j, full);
    int k0 = kt * BN;
    float factor = prepare_scores<NC>(s, t, pp, rm, b, h, q_row, k0, k0 + 2 * tq, full);
    st.step<NC>(s, factor, alpha);
  };
  auto to_p = [&](const float (&s)[NC * 4], uint32_t (&p)[PS][4]) {
#pragma unroll
    for (int kk = 0; kk < PS; ++kk) {
      p[kk][0] = ElemTraits<Elem>::pack2(s[8 * kk + 0], s[8 * kk + 1]);
      p[kk][1] = ElemTraits<Elem>::pack2(s[8 * kk + 2], s[8 * kk + 3]);
      p[kk][2] = ElemTraits<Elem>::pack2(s[8 * kk + 4], s[8 * kk + 5]);
      p[kk][3] = ElemTraits<Elem>::pack2(s[8 * kk + 6], s[8 * kk + 7]);
    }
  };

  float o[D / 2];
#pragma unroll
  for (int i = 0; i < D / 2; ++i) o[i] = 0.0f;
  SoftmaxState st;
  st.init();

  const int n = num_key_tiles(pp, b, l, h, qt);
  if (n > 0) {
    // Prologue: Q, tile 0 and tile 1 in flight; S_0 needs Q and K_0 only.
    load_tile_async<BM, D, THREADS>(sQ, qg, t.q_sn, q0, t.Nq, tid);
    cp_async_mbarrier_arrive(bar_q);
    issue_tile(0);
    if (n > 1) issue_tile(1);
    mbarrier_wait(bar_q, 0);
    wait_k(0);
    fence_proxy_async();  // cp.async wrote through the generic proxy, wgmma reads async

    float s[NC * 4];
#pragma unroll
    for (int i = 0; i < NC * 4; ++i) s[i] = 0.0f;
    uint32_t p[PS][4];
    float alpha[2];
    fence_operands(s);
    wgmma_fence();
    qk(s, 0);
    wgmma_commit();
    wgmma_wait<0>();
    fence_operands(s);
    softmax_tile(s, 0, st, alpha);
    to_p(s, p);

    // Steady state, no branches between wgmma issue and wait (a branch there makes
    // ptxas serialise the wgmma pipeline).
    for (int j = 0; j + 1 < n; ++j) {
      wait_v(j);
      wait_k(j + 1);
      fence_proxy_async();
      if (j + 2 < n) issue_tile(j + 2);  // reuses the stage of tile j-1 once it is free

      // Pin every register a wgmma reads or accumulates into before the fence, so the
      // compiler cannot sink their producers into the wgmma pipeline.
      fence_operands(s);
      fence_operands(o);
      fence_operands(p);
      wgmma_fence();
      qk(s, (j + 1) % Cfg::STAGES);
      wgmma_commit();
      pv(o, p, j % Cfg::STAGES);
      wgmma_commit();
      wgmma_wait<1>();  // S_{j+1} ready; P_j V_j may still run during the softmax below
      fence_operands(s);
      softmax_tile(s, j + 1, st, alpha);
      wgmma_wait<0>();
      fence_operands(o);
      fence_operands(p);
      mbarrier_arrive(empty(j % Cfg::STAGES));  // this thread is done with tile j
      rescale_rows<D / 8>(o, alpha);
      to_p(s, p);
    }
    // Last tile: only P V.
    wait_v(n - 1);
    fence_proxy_async();
    fence_operands(o);
    fence_operands(p);
    wgmma_fence();
    pv(o, p, (n - 1) % Cfg::STAGES);
    wgmma_commit();
    wgmma_wait<0>();
    fence_operands(o);
    // Every warp of this warpgroup must be past its last wgmma before the Q rows the
    // warpgroup read are overwritten by the output staging.
    named_barrier(1 + wg, 128);
  }
  store_output<Elem, D, BM>(t, sQ, o, st, b, h, q0, wg * 64 + warp_in_wg * 16);
}

}  // namespace attnc
