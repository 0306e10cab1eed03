// attnc CUDA runtime: the Hopper forward path (sm_90a, wgmma).
// One CTA = 2 warpgroups of 64 query rows; a CTA runs ATTNC_ITEMS_PER_CTA consecutive
// work items (query tile, head, batch entry; see work_item in epilogue.cuh) back to back,
// so the next item's Q and first K/V tiles load while the current one finishes. The 256
// threads share the cp.async loads of K/V tiles into rings (K: 2 stages, V: 3 stages)
// that run on across item boundaries, handed over through mbarriers (no CTA-wide
// barrier per tile). Each warpgroup loads its own 64 rows of Q into one of two Q buffers.
// Per key tile:
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

// Work items per CTA (optional, a pattern header may define it before including the
// skeleton). With the (num_q_tiles, H, B) grid of the launch contract, CTA c runs items
// [c*G, c*G + G) and CTAs past ceil(items / G) exit at once; any other grid also works
// (CTA c then runs item groups c, c + #CTAs, ...).
#ifndef ATTNC_ITEMS_PER_CTA
#define ATTNC_ITEMS_PER_CTA 4
#endif

namespace attnc {

template <int D, int BN> struct Sm90Config {
  static constexpr int BM = 128;
  static constexpr int K_STAGES = 2;  // K_j is free once S_j = Q K_j^T is done
  static constexpr int V_STAGES = 3;  // V_j is free once O += P_j V_j is done
  static constexpr int Q_BYTES = BM * D * 2;   // one Q buffer (two are used)
  static constexpr int KV_BYTES = BN * D * 2;  // one K or V tile
  // mbarriers: Q[2 buffers][2 warpgroups], full_k, free_k [K_STAGES], full_v, free_v [V_STAGES]
  static constexpr int BARRIER_BYTES = 128;
  static constexpr int SMEM_BYTES = 1024 /* alignment slack */ + 2 * Q_BYTES +
                                    (K_STAGES + V_STAGES) * KV_BYTES + BARRIER_BYTES;
  static_assert(8 * (4 + 2 * K_STAGES + 2 * V_STAGES) <= BARRIER_BYTES, "barrier space");
  static_assert(SMEM_BYTES <= 232448, "exceeds the 227 KB of shared memory per block");
};

template <typename Elem, int D, int BN>
__device__ __forceinline__ void fwd_sm90(const FwdTensors& t, const PatternParams& pp) {
  using Cfg = Sm90Config<D, BN>;
  constexpr int BM = Cfg::BM;
  constexpr int NC = BN / 8;   // score chunks per warp row block
  constexpr int KS = D / 16;   // k-steps of Q K^T
  constexpr int PS = BN / 16;  // k-steps of P V
  constexpr int KST = Cfg::K_STAGES, VST = Cfg::V_STAGES;
  constexpr int G = ATTNC_ITEMS_PER_CTA;
  static_assert(D == 64 || D == 128, "head dim");
  static_assert(BN == 64 || BN == 128, "key tile");
  static_assert(G >= 1, "ATTNC_ITEMS_PER_CTA");

  // Work: items of this CTA, in order; next_item(w) >= n_items ends the sequence.
  const int nqt = (t.Nq + BM - 1) / BM;
  const int n_items = nqt * t.H * t.B;
  const int n_groups = (n_items + G - 1) / G;
  const int cta = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const int n_cta = gridDim.x * gridDim.y * gridDim.z;
  if (cta >= n_groups) return;  // whole CTA, before any barrier
  auto next_item = [&](int w) {
    return ((w + 1) % G != 0 && w + 1 < n_items) ? w + 1 : (w / G + n_cta) * G;
  };

  extern __shared__ uint8_t smem_raw[];
  const uint32_t base = (smem_u32(smem_raw) + 1023u) & ~1023u;
  auto sQ = [&](int buf) { return base + buf * Cfg::Q_BYTES; };
  auto sK = [&](int stage) { return base + 2 * Cfg::Q_BYTES + stage * Cfg::KV_BYTES; };
  auto sV = [&](int stage) { return sK(KST) + stage * Cfg::KV_BYTES; };
  const uint32_t bars = sV(VST);

  const int tid = threadIdx.x;
  const int wg = tid >> 7;
  const int warp_in_wg = (tid >> 5) & 3;
  const int lane = tid & 31, g = lane >> 2, tq = lane & 3;
  const int l = t.layer;

  // Hand-off without CTA-wide barriers, so the two warpgroups can drift apart and one's
  // softmax overlaps the other's wgmma. Tiles form one stream T = 0, 1, ... over all
  // items of this CTA; tile T lives in K stage T % KST and V stage T % VST. Every thread
  // copies its share of a tile and arrives (when its copies land) on full_k/full_v; every
  // thread arrives on free_k once its warpgroup's S = Q K^T of the tile is done and on
  // free_v once its P V is done. Fill/use number T / stages gives the phase parity.
  auto bar_q = [&](int buf) { return bars + 8 * (2 * buf + wg); };  // 128 arrivals each
  auto full_k = [&](int s) { return bars + 32 + 8 * s; };
  auto free_k = [&](int s) { return bars + 32 + 8 * KST + 8 * s; };
  auto full_v = [&](int s) { return bars + 32 + 16 * KST + 8 * s; };
  auto free_v = [&](int s) { return bars + 32 + 16 * KST + 8 * VST + 8 * s; };
  if (tid == 0) {
    for (int i = 0; i < 4; ++i) mbarrier_init(bars + 8 * i, 128);
    for (int s = 0; s < KST; ++s) {
      mbarrier_init(full_k(s), THREADS);
      mbarrier_init(free_k(s), THREADS);
    }
    for (int s = 0; s < VST; ++s) {
      mbarrier_init(full_v(s), THREADS);
      mbarrier_init(free_v(s), THREADS);
    }
  }
  __syncthreads();

  // This warpgroup's 64 rows of item w's Q tile into buffer buf.
  auto load_q = [&](int w, int buf) {
    WorkItem it = work_item(w, nqt, t.H);
    const uint16_t* qg = reinterpret_cast<const uint16_t*>(t.q) + it.b * t.q_sb + it.h * t.q_sh;
    constexpr int CPR = D / 8;  // 16-byte chunks per row
#pragma unroll
    for (int i = 0; i < 64 * CPR / 128; ++i) {
      int c = (tid & 127) + i * 128;
      int row = wg * 64 + c / CPR, chunk = c % CPR;
      int grow = it.qt * BM + row;
      bool valid = grow < t.Nq;
      const uint16_t* src = valid ? qg + (long long)grow * t.q_sn + chunk * 8 : qg;
      cp_async_16(sQ(buf) + tile_offset<BM>(row, chunk), src, valid);
    }
    cp_async_mbarrier_arrive(bar_q(buf));
  };

  // Producer cursor (every thread keeps the same one): the next tile of the stream to
  // issue is tile pj of item pw (pn tiles), stream index tp. Items without tiles are skipped.
  int pw = cta * G, pj = 0, pn = 0, tp = 0;
  auto item_tiles = [&](int w) {
    WorkItem it = work_item(w, nqt, t.H);
    return num_key_tiles(pp, it.b, l, it.h, it.qt);
  };
  auto skip_empty = [&]() {
    while (pw < n_items && pj >= pn) {
      pw = next_item(pw);
      pj = 0;
      pn = pw < n_items ? item_tiles(pw) : 0;
    }
  };
  pn = item_tiles(pw);
  skip_empty();
  // Issues the stream's tiles up to (excluding) index `limit`.
  auto produce_until = [&](int limit) {
    while (tp < limit && pw < n_items) {
      int ks = tp % KST, vs = tp % VST;
      if (tp >= KST) mbarrier_wait(free_k(ks), (tp / KST - 1) & 1);
      if (tp >= VST) mbarrier_wait(free_v(vs), (tp / VST - 1) & 1);
      WorkItem it = work_item(pw, nqt, t.H);
      const int hk = it.h / (t.H / t.Hkv);
      bool f;
      int kt = key_tile(pp, it.b, l, it.h, it.qt, pj, f);
      const uint16_t* kg = reinterpret_cast<const uint16_t*>(t.k) + it.b * t.k_sb + hk * t.k_sh;
      const uint16_t* vg = reinterpret_cast<const uint16_t*>(t.v) + it.b * t.v_sb + hk * t.v_sh;
      load_tile_async<BN, D, THREADS>(sK(ks), kg, t.k_sn, kt * BN, t.Nk, tid);
      cp_async_mbarrier_arrive(full_k(ks));
      load_tile_async<BN, D, THREADS>(sV(vs), vg, t.v_sn, kt * BN, t.Nk, tid);
      cp_async_mbarrier_arrive(full_v(vs));
      ++tp;
      ++pj;
      skip_empty();
    }
  };
  auto wait_k = [&](int T) { mbarrier_wait(full_k(T % KST), (T / KST) & 1); };
  auto wait_v = [&](int T) { mbarrier_wait(full_v(T % VST), (T / VST) & 1); };

  auto qk = [&](float (&s)[NC * 4], uint32_t q_tile, int T) {
    const uint32_t k_tile = sK(T % KST);
#pragma unroll
    for (int kk = 0; kk < KS; ++kk) {
      // this warpgroup's 64 rows of Q (A) and the K tile (B), both K-major
      uint64_t da = make_smem_desc(q_tile + (kk >> 2) * (BM * 128) + wg * 64 * 128 + (kk & 3) * 32, 16, 1024);
      uint64_t db = make_smem_desc(k_tile + (kk >> 2) * (BN * 128) + (kk & 3) * 32, 16, 1024);
      Wgmma<Elem, BN>::ss(s, da, db, kk > 0 ? 1 : 0);
    }
  };
  auto pv = [&](float (&o)[D / 2], uint32_t (&p)[PS][4], int T) {
    const uint32_t v_tile = sV(T % VST);
#pragma unroll
    for (int kk = 0; kk < PS; ++kk) {
      uint64_t db = make_smem_desc(v_tile + kk * 16 * 128, BN * 128, 1024);
      Wgmma<Elem, D>::rs(o, p[kk], db);
    }
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

  // Q of the first two items in flight before any K/V tile.
  int w = cta * G;
  load_q(w, 0);
  if (next_item(w) < n_items) load_q(next_item(w), 1);
  produce_until(2);

  int T = 0;  // stream index of this item's first tile
  for (int i = 0; w < n_items; w = next_item(w), ++i) {
    const int buf = i & 1;
    if (i > 0) {
      // Buffer buf^1 held item i-1: every warp of this warpgroup is past its epilogue
      // reads, so item i+1's Q can go there.
      named_barrier(1 + wg, 128);
      int wn = next_item(w);
      if (wn < n_items) load_q(wn, buf ^ 1);
    }
    const WorkItem it = work_item(w, nqt, t.H);
    const int qt = it.qt, h = it.h, b = it.b;
    const int q0 = qt * BM;
    const int q_row = q0 + wg * 64 + warp_in_wg * 16 + g;
    const uint32_t q_tile = sQ(buf);
    // Masks, softmax-updates and converts one tile of scores in s to the P fragments.
    auto softmax_tile = [&](float (&s)[NC * 4], int j, SoftmaxState& st, float (&alpha)[2]) {
      bool full;
      int kt = key_tile(pp, b, l, h, qt, j, full);
      int k0 = kt * BN;
      float factor = prepare_scores<NC>(s, t, pp, b, h, q_row, k0, k0 + 2 * tq, full);
      st.step<NC>(s, factor, alpha);
    };

    float o[D / 2];
#pragma unroll
    for (int r = 0; r < D / 2; ++r) o[r] = 0.0f;
    SoftmaxState st;
    st.init();
    const int n = num_key_tiles(pp, b, l, h, qt);
    mbarrier_wait(bar_q(buf), (i >> 1) & 1);  // also before staging the output in it
    if (n > 0) {
      produce_until(T + 2);  // usually issued during the previous item already
      wait_k(T);
      fence_proxy_async();  // cp.async wrote through the generic proxy, wgmma reads async

      float s[NC * 4];
#pragma unroll
      for (int r = 0; r < NC * 4; ++r) s[r] = 0.0f;
      uint32_t p[PS][4];
      float alpha[2];
      fence_operands(s);
      wgmma_fence();
      qk(s, q_tile, T);
      wgmma_commit();
      wgmma_wait<0>();
      fence_operands(s);
      mbarrier_arrive(free_k(T % KST));
      softmax_tile(s, 0, st, alpha);
      to_p(s, p);

      // Steady state, no branches between wgmma issue and wait (a branch there makes
      // ptxas serialise the wgmma pipeline).
      for (int j = 0; j + 1 < n; ++j) {
        const int Tj = T + j;
        wait_v(Tj);
        wait_k(Tj + 1);
        fence_proxy_async();
        produce_until(Tj + 3);  // tile Tj+2: K stage of Tj, V stage of Tj-1, both free

        // Pin every register a wgmma reads or accumulates into before the fence, so the
        // compiler cannot sink their producers into the wgmma pipeline.
        fence_operands(s);
        fence_operands(o);
        fence_operands(p);
        wgmma_fence();
        qk(s, q_tile, Tj + 1);
        wgmma_commit();
        pv(o, p, Tj);
        wgmma_commit();
        wgmma_wait<1>();  // S_{j+1} ready; P_j V_j may still run during the softmax below
        fence_operands(s);
        mbarrier_arrive(free_k((Tj + 1) % KST));
        softmax_tile(s, j + 1, st, alpha);
        wgmma_wait<0>();
        fence_operands(o);
        fence_operands(p);
        mbarrier_arrive(free_v(Tj % VST));  // this thread is done with V of tile Tj
        rescale_rows<D / 8>(o, alpha);
        to_p(s, p);
      }
      // Last tile: only P V. The next item's first tiles are issued before it.
      const int Tl = T + n - 1;
      wait_v(Tl);
      fence_proxy_async();
      produce_until(Tl + 3);
      fence_operands(o);
      fence_operands(p);
      wgmma_fence();
      pv(o, p, Tl);
      wgmma_commit();
      wgmma_wait<0>();
      fence_operands(o);
      mbarrier_arrive(free_v(Tl % VST));
      T += n;
      // Every warp of this warpgroup must be past its last wgmma before the Q rows the
      // warpgroup read are overwritten by the output staging.
      named_barrier(1 + wg, 128);
    }
    store_output<Elem, D, BM>(t, q_tile, o, st, b, h, q0, wg * 64 + warp_in_wg * 16);
  }
}

}  // namespace attnc
