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

// Persistent grid (ATTNC_FWD_PERSISTENT, the default): one CTA per SM walks work items
// (query tile, head, batch entry) back to back, numbered as the one-item-per-CTA grid
// launches them (fwd_item); the first item of a CTA is its block index, the next ones
// come from a global counter (FwdTensors::tile_counter, an int[2] the kernel leaves zeroed),
// so the SMs take items greedily in that order, as the hardware's block scheduler would. The
// K/V ring runs on across item boundaries and each warpgroup loads the next item's 64 Q rows
// as soon as its last Q K^T has completed, so the next item's loads overlap this item's
// last P V and epilogue. Without a counter (or built with ATTNC_FWD_PERSISTENT=0) CTA c runs
// items c, c + grid, ...: one item per CTA on the full (num_q_tiles, H, B) grid.
#ifndef ATTNC_FWD_PERSISTENT
#define ATTNC_FWD_PERSISTENT 1
#endif

template <int D, int BN> struct Sm90Config {
  static constexpr int BM = 128;
  static constexpr int STAGES = 3;
  static constexpr int Q_BYTES = BM * D * 2;
  static constexpr int KV_BYTES = BN * D * 2;  // one of K or V
  // mbarriers Q[2] (one per warpgroup), K[STAGES], V[STAGES], free[STAGES]; 4 item slots
  static constexpr int BARRIER_BYTES = 128;
  static constexpr int SMEM_BYTES =
      1024 /* alignment slack */ + Q_BYTES + STAGES * 2 * KV_BYTES + BARRIER_BYTES;
  static_assert(SMEM_BYTES <= 232448, "exceeds the 227 KB of shared memory per block");
  static_assert(8 * (2 + 3 * STAGES) + 16 <= BARRIER_BYTES, "barriers and item slots");
};

// Work item -> (query tile, head, batch entry), in the order of the one-tile-per-CTA grid:
// query tiles fastest (heaviest first, so one head's K/V stays in L2 while all SMs work on
// it), then heads, then batch entries; with a query_tile_order table (irregular work) slots
// are outer and heads inner, as query_work_item walks them.
struct FwdItem {
  int qt, h, b;
};
__device__ __forceinline__ FwdItem fwd_item(int item, int nqt, int H) {
  FwdItem it;
  const int per_b = nqt * H;
  it.b = item / per_b;
  const int r = item - it.b * per_b;
#ifdef ATTNC_QUERY_TILE_ORDER_TABLE
  it.h = r % H;
  it.qt = query_tile_of_slot(r / H, nqt);
#else
  it.h = r / nqt;
  it.qt = query_tile_of_slot(r - it.h * nqt, nqt);
#endif
  return it;
}

// Epilogue straight from the accumulator registers (no shared-memory staging, so the Q
// tile is free for the next item's rows as soon as the last Q K^T is done): 4-byte stores,
// four lanes cover 16 contiguous bytes of a row. rows >= Nq are skipped; rows without an
// allowed key get 0 and LSE = -inf.
template <typename Elem, int D>
__device__ __forceinline__ void store_output_regs(const FwdTensors& t, float (&o)[D / 2], SoftmaxState& st,
                                                  int b, int h, int q_row /* row g of this lane */) {
  const int tq = threadIdx.x & 3;
  float inv_l[2], lse[2];
  st.finish(inv_l, lse);
  Elem* og = reinterpret_cast<Elem*>(t.o) + b * t.o_sb + h * t.o_sh;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int q = q_row + 8 * r;
    if (q >= t.Nq) continue;
    Elem* row = og + (long long)q * t.o_sn + 2 * tq;
#pragma unroll
    for (int i = 0; i < D / 8; ++i)
      *reinterpret_cast<uint32_t*>(row + 8 * i) =
          ElemTraits<Elem>::pack2(o[4 * i + 2 * r] * inv_l[r], o[4 * i + 2 * r + 1] * inv_l[r]);
    if (tq == 0) t.lse[((long long)b * t.H + h) * t.Nq + q] = lse[r];
  }
}

template <typename Elem, int D, int BN>
__device__ __forceinline__ void fwd_sm90(const FwdTensors& t, const PatternParams& pp) {
  using Cfg = Sm90Config<D, BN>;
  constexpr int BM = Cfg::BM;
  constexpr int S = Cfg::STAGES;
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
  const int wg = tid >> 7, wtid = tid & 127;
  const int warp_in_wg = (tid >> 5) & 3;
  const int lane = tid & 31, g = lane >> 2, tq = lane & 3;
  const int l = t.layer;
  const int G = t.H / t.Hkv;

  // Stage hand-off without CTA-wide barriers, so the two warpgroups can drift apart and
  // one's softmax overlaps the other's wgmma: every thread copies its share of a tile and
  // arrives (when its copies land) on full_k/full_v; every thread arrives on empty once
  // its warpgroup is done with the tile. Tiles are numbered across the CTA's items (the
  // stream index T): tile T lives in stage T % S, use number T / S gives the phase parity.
  // Each warpgroup loads its own 64 Q rows and waits on its own bar_q.
  const uint32_t bars = sK(S);
  auto bar_q = [&](int w) { return bars + 8 * w; };
  auto full_k = [&](int stage) { return bars + 16 + 8 * stage; };
  auto full_v = [&](int stage) { return bars + 16 + 8 * S + 8 * stage; };
  auto empty = [&](int stage) { return bars + 16 + 16 * S + 8 * stage; };
  int* slots = reinterpret_cast<int*>(smem_raw + (bars + 16 + 24 * S - smem_u32(smem_raw)));
  if (tid == 0) {
    mbarrier_init(bar_q(0), 128);
    mbarrier_init(bar_q(1), 128);
    for (int st = 0; st < S; ++st) {
      mbarrier_init(full_k(st), THREADS);
      mbarrier_init(full_v(st), THREADS);
      mbarrier_init(empty(st), THREADS);
    }
  }

  // The CTA's items: slots[k % 4] holds its k-th item (>= total: none). Thread 0 fetches item
  // k + 2 once item k's last Q K^T is done and publishes it at the end of item k (the
  // atomic's latency hides behind the last P V and the epilogue); a CTA-wide barrier between
  // items makes it visible.
  const int nqt = (t.Nq + BM - 1) / BM;
  const int total = nqt * t.H * t.B;
  const int grid = (int)(gridDim.x * gridDim.y * gridDim.z);
  const int first = (int)(blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z));
  int* counter = ATTNC_FWD_PERSISTENT ? t.tile_counter : nullptr;
  int fetched = 0;  // without a counter: every grid-th item (any grid is correct)
  auto fetch = [&]() { return counter ? grid + atomicAdd(counter, 1) : first + ++fetched * grid; };
  if (tid == 0) {
    slots[0] = first;
    slots[1] = first < total ? fetch() : total;
  }
  __syncthreads();

  // Producer: stream tile `issued` is tile issued - T0 of the current item (n tiles, first
  // stream index T0) or, past it, of the next item; it never runs further ahead than that.
  int issued = 0;
  // Issues the next stream tile if it is known; false when it is not.
  auto produce_one = [&](int T0, int n, const FwdItem& cur, const FwdItem& nx, int next_tiles) {
    int j = issued - T0;
    const bool in_next = j >= n;
    if (in_next) {
      j -= n;
      if (j >= next_tiles) return false;  // the item after next is not known yet
    }
    {
      const FwdItem it = in_next ? nx : cur;
      const int stage = issued % S;
      if (issued >= S) mbarrier_wait(empty(stage), (issued / S - 1) & 1);
      bool f;
      const int kt = key_tile(pp, it.b, l, it.h, it.qt, j, f);
      const int hk = it.h / G;
      const uint16_t* kg = reinterpret_cast<const uint16_t*>(t.k) + it.b * t.k_sb + hk * t.k_sh;
      const uint16_t* vg = reinterpret_cast<const uint16_t*>(t.v) + it.b * t.v_sb + hk * t.v_sh;
      load_tile_async<BN, D, THREADS>(sK(stage), kg, t.k_sn, kt * BN, t.Nk, tid);
      cp_async_mbarrier_arrive(full_k(stage));
      load_tile_async<BN, D, THREADS>(sV(stage), vg, t.v_sn, kt * BN, t.Nk, tid);
      cp_async_mbarrier_arrive(full_v(stage));
      ++issued;
    }
    return true;
  };
  auto wait_k = [&](int T) { mbarrier_wait(full_k(T % S), (T / S) & 1); };
  auto wait_v = [&](int T) { mbarrier_wait(full_v(T % S), (T / S) & 1); };

  // This warpgroup's 64 rows of an item's Q tile (rows wg*64.. of the 128-row tile layout).
  int q_loads = 0;        // Q loads issued by this warpgroup (bar_q phase)
  bool q_ready = false;   // this item's rows were loaded during the previous item
  auto load_q = [&](const FwdItem& it) {
    const uint16_t* qg = reinterpret_cast<const uint16_t*>(t.q) + it.b * t.q_sb + it.h * t.q_sh;
    constexpr int CPR = D / 8;  // 16-byte chunks per row
#pragma unroll
    for (int i = 0; i < 64 * CPR / 128; ++i) {
      const int c = wtid + i * 128, r = wg * 64 + c / CPR, chunk = c % CPR;
      const int grow = it.qt * BM + r;
      const bool valid = grow < t.Nq;
      cp_async_16(sQ + tile_offset<BM>(r, chunk), valid ? qg + (long long)grow * t.q_sn + chunk * 8 : qg, valid);
    }
    cp_async_mbarrier_arrive(bar_q(wg));
    ++q_loads;
  };

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
  auto to_p = [&](const float (&s)[NC * 4], uint32_t (&p)[PS][4]) {
#pragma unroll
    for (int kk = 0; kk < PS; ++kk) {
      p[kk][0] = ElemTraits<Elem>::pack2(s[8 * kk + 0], s[8 * kk + 1]);
      p[kk][1] = ElemTraits<Elem>::pack2(s[8 * kk + 2], s[8 * kk + 3]);
      p[kk][2] = ElemTraits<Elem>::pack2(s[8 * kk + 4], s[8 * kk + 5]);
      p[kk][3] = ElemTraits<Elem>::pack2(s[8 * kk + 6], s[8 * kk + 7]);
    }
  };

  int T0 = 0;  // stream index of the current item's first tile
#pragma unroll 1
  for (int k = 0;; ++k) {
    const int item = slots[k & 3], next = slots[(k + 1) & 3];
    if (item >= total) break;
    int after_next = total;  // thread 0: this CTA's item k + 2, fetched late in this item
    const FwdItem it = fwd_item(item, nqt, t.H), nx = fwd_item(next, nqt, t.H);
    const int qt = it.qt, h = it.h, b = it.b;
    const int q_row = qt * BM + wg * 64 + warp_in_wg * 16 + g;
    const int n = num_key_tiles(pp, b, l, h, qt);
    const int next_tiles = next < total ? num_key_tiles(pp, nx.b, l, nx.h, nx.qt) : 0;

    float o[D / 2];
#pragma unroll
    for (int i = 0; i < D / 2; ++i) o[i] = 0.0f;
    SoftmaxState st;
    st.init();

    if (n > 0) {
      const RowMasks rm = row_masks(t, pp, b, h, q_row);
      // Masks, softmax-updates and converts one tile of scores in s to the P fragments.
      auto softmax_tile = [&](float (&s)[NC * 4], int j, SoftmaxState& sm, float (&alpha)[2]) {
        bool full;
        int kt = key_tile(pp, b, l, h, qt, j, full);
        int k0 = kt * BN;
        float factor = prepare_scores<NC>(s, t, pp, rm, b, h, q_row, k0, k0 + 2 * tq, full);
        sm.step<NC>(s, factor, alpha);
      };
      if (!q_ready) load_q(it);
      q_ready = false;
      // tiles T0, T0 + 1: usually issued during the previous item already
      while (issued < T0 + 2 && produce_one(T0, n, it, nx, next_tiles)) {
      }
      mbarrier_wait(bar_q(wg), (q_loads - 1) & 1);
      wait_k(T0);
      fence_proxy_async();  // cp.async wrote through the generic proxy, wgmma reads async

      float s[NC * 4];
#pragma unroll
      for (int i = 0; i < NC * 4; ++i) s[i] = 0.0f;
      uint32_t p[PS][4];
      float alpha[2];
      fence_operands(s);
      wgmma_fence();
      qk(s, T0 % S);
      wgmma_commit();
      wgmma_wait<0>();
      fence_operands(s);
      softmax_tile(s, 0, st, alpha);
      to_p(s, p);

      // Steady state, no branches between wgmma issue and wait (a branch there makes
      // ptxas serialise the wgmma pipeline).
      for (int j = 0; j + 1 < n; ++j) {
        const int T = T0 + j;
        wait_v(T);
        wait_k(T + 1);
        fence_proxy_async();
        if (issued < T + 3) produce_one(T0, n, it, nx, next_tiles);  // the stage of tile T-1

        // Pin every register a wgmma reads or accumulates into before the fence, so the
        // compiler cannot sink their producers into the wgmma pipeline.
        fence_operands(s);
        fence_operands(o);
        fence_operands(p);
        wgmma_fence();
        qk(s, (T + 1) % S);
        wgmma_commit();
        pv(o, p, T % S);
        wgmma_commit();
        wgmma_wait<1>();  // S_{j+1} ready; P_j V_j may still run during the softmax below
        fence_operands(s);
        softmax_tile(s, j + 1, st, alpha);
        wgmma_wait<0>();
        fence_operands(o);
        fence_operands(p);
        mbarrier_arrive(empty(T % S));  // this thread is done with tile T
        rescale_rows<D / 8>(o, alpha);
        to_p(s, p);
      }
      // Every Q K^T of this item is done: once all four warps are past it, this
      // warpgroup's Q rows take the next item's.
      named_barrier(1 + wg, 128);
      if (tid == 0 && next < total) after_next = fetch();
      if (next_tiles > 0) {
        load_q(nx);
        q_ready = true;
      }
      // Last tile: only P V. The next item's first tiles go out before it.
      const int T = T0 + n - 1;
      wait_v(T);
      fence_proxy_async();
      if (issued < T + 3) produce_one(T0, n, it, nx, next_tiles);
      fence_operands(o);
      fence_operands(p);
      wgmma_fence();
      pv(o, p, T % S);
      wgmma_commit();
      wgmma_wait<0>();
      fence_operands(o);
      mbarrier_arrive(empty(T % S));
      T0 += n;
    }
    if (n == 0 && tid == 0 && next < total) after_next = fetch();
    store_output_regs<Elem, D>(t, o, st, b, h, q_row);
    if (tid == 0) slots[(k + 2) & 3] = after_next;
    __syncthreads();
  }
  if (counter != nullptr && tid == 0) {
    // The last CTA out (every fetch of this launch is done) zeroes the counter for the next launch.
    __threadfence();
    if (atomicAdd(counter + 1, 1) == grid - 1) {
      counter[0] = 0;
      counter[1] = 0;
      __threadfence();
    }
  }
}

}  // namespace attnc
