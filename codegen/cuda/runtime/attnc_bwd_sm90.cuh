// attnc CUDA runtime: the Hopper backward pass (sm_90a, wgmma).
// Same three launches as the mma.sync path (attnc_bwd_sm80.cuh), with a different split of
// the work:
//   pre : delta[q] = sum_d dO[q,d] * O[q,d], and zeroes the fp32 dQ accumulator
//   dkdv: one CTA per 128 keys (a 128-key tile, or two adjacent 64-key tiles: TILES) or per 64
//         keys (a 64-key tile, or half a 128-key one: ATTNC_BWD_CTA_KEYS), KV head hk and batch
//         b; a warpgroup per 64 keys. K/V stay in shared memory; the work items
//         are 64-row query chunks of the TRANSPOSED schedule (every query head of the GQA
//         group; with two tiles the union of their rows, flagged per warpgroup), streamed
//         through a cp.async + mbarrier ring of STAGES chunks (Q, dO, LSE, delta, and the
//         item's record). Per chunk and warpgroup (rows = its 64 keys):
//           S^T  = K Q^T            wgmma m64n64k16, A = K, B = Q from swizzled smem
//           dP^T = V dO^T           the same with V, dO
//           P^T  = exp2(S^T*scale*log2e - LSE*log2e), mask()/score_mod() on PARTIAL tiles only
//           dS^T = P^T * (dP^T - delta) * score_mod_grad
//           dV  += P^T dO           wgmma m64n{D}k16, A = P^T from registers, B = dO (MN-major)
//           dK  += dS^T Q           A = dS^T from registers (-DATTNC_BWD_DQ_FIRST=1: issued
//                                   behind dQ instead, the dQ tile staged while dK runs)
//           dQ  += dS K             dS^T goes to smem (bf16), read back transposed as the A
//                                   operand. With two warpgroups at D = 128 each computes one
//                                   64-column half of dQ over all 128 keys and hands it to the
//                                   TMA unit (one 16 KB bulk reduce-add into the fp32 accumulator)
//                                   (ATTNC_BWD_DQ_LATE: the finished tile is kept in registers
//                                   and staged in the next item, while its S^T is on the
//                                   tensor cores)
//         This is FlashAttention-2's algorithm with five matmuls per tile pair (the mma.sync path
//         recomputes S and dP in a separate dQ pass: seven). dK, dV are written once.
//   dq  : dq = scale * accumulator, converted to the element type (one CTA per 128 query rows).
// dQ summed with atomics is not bitwise deterministic run to run (the order of the additions
// varies); dK and dV are.
#pragma once

#include "attnc_bwd_sm80.cuh"
#include "wgmma_sm90.cuh"

namespace attnc {

// Under host emulation (test/codegen/cudaEmuWgmma.hpp) only with ATTNC_HOST_EMU_SM90, which
// supplies the PTX wrappers below.
#if (defined(__CUDA_ARCH_FEAT_SM90_ALL) || !defined(__CUDA_ARCH__)) && (!defined(ATTNC_HOST_EMU) || defined(ATTNC_HOST_EMU_SM90))

// Profiling switches (bench/gpu/emitted/bwd_profile.py builds variants with them off; both on
// is the only correct setting): the dQ product and its addition to the accumulator. The
// other two (ATTNC_BWD_DQ_BULK, ATTNC_BWD_SHARED_DQ below) pick between correct variants; the
// defaults measured fastest (docs/performance.md, "Backward").
#ifndef ATTNC_BWD_DQ_MMA
#define ATTNC_BWD_DQ_MMA 1
#endif
#ifndef ATTNC_BWD_DQ_ATOMICS
#define ATTNC_BWD_DQ_ATOMICS 1
#endif

#if !defined(ATTNC_HOST_EMU)
// d (+)= A^T[smem, MN-major] * B[smem, MN-major], m64n64k16: the dQ product, where A = dS is
// stored key-major (the transpose of what wgmma's A wants) and B = K is stored key-major too.
template <typename Elem> struct WgmmaTT;
#define ATTNC_WGMMA_TT(ELEM, PTX_TYPE)                                                                      \
  template <> struct WgmmaTT<ELEM> {                                                                        \
    static __device__ __forceinline__ void ss(float (&d)[32], uint64_t desc_a, uint64_t desc_b, int scale_d) { \
      asm volatile(                                                                                         \
          "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"                                                      \
          "wgmma.mma_async.sync.aligned.m64n64k16.f32." PTX_TYPE "." PTX_TYPE " "                           \
          "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, "    \
          "%20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, %32, %33, p, 1, 1, 1, 1;\n}\n"      \
          : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), \
            "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]),        \
            "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]),      \
            "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]),      \
            "+f"(d[29]), "+f"(d[30]), "+f"(d[31])                                                          \
          : "l"(desc_a), "l"(desc_b), "r"(scale_d));                                                        \
    }                                                                                                       \
  };
ATTNC_WGMMA_TT(__nv_bfloat16, "bf16")
ATTNC_WGMMA_TT(__half, "f16")
#undef ATTNC_WGMMA_TT
#endif

// P^T computed while dP^T is on the tensor cores (patterns without a score modifier); 0
// computes both after both products, as patterns with one do (profiling).
#ifndef ATTNC_BWD_OVERLAP_P
#define ATTNC_BWD_OVERLAP_P 1
#endif
#ifndef ATTNC_BWD_DQ_BULK
#define ATTNC_BWD_DQ_BULK 1
#endif
#ifndef ATTNC_BWD_SHARED_DQ
#define ATTNC_BWD_SHARED_DQ 1
#endif
#ifndef ATTNC_BWD_DQ_BULK1
#define ATTNC_BWD_DQ_BULK1 1
#endif
// Profiling (wrong on purpose): 0 stages the dQ tiles but never hands them to the TMA unit, which
// splits the cost of the addition into the staging and the reduce traffic (variant no_dq_reduce).
#ifndef ATTNC_BWD_DQ_REDUCE
#define ATTNC_BWD_DQ_REDUCE 1
#endif
// Profiling (wrong on purpose with the reduce on): 0 leaves out the proxy fence between staging
// a dQ tile and handing it to the TMA unit (variant no_dq_fence, with ATTNC_BWD_DQ_REDUCE=0).
#ifndef ATTNC_BWD_DQ_FENCE
#define ATTNC_BWD_DQ_FENCE 1
#endif
// Profiling (wrong on purpose): 0 skips the mask on PARTIAL tiles without a score modifier (what
// the mask pass costs; variant no_mask).
#ifndef ATTNC_BWD_MASK_PASS
#define ATTNC_BWD_MASK_PASS 1
#endif
// A PARTIAL tile's mask evaluated while S^T and dP^T are on the tensor cores (0: after the
// exponentials, on the way from S^T's wait to the issue of dV; bwd_profile variant mask_late).
#ifndef ATTNC_BWD_MASK_EARLY
#define ATTNC_BWD_MASK_EARLY 1
#endif
// (measured slower than dQ after dK on S2, BigBird and MoA at 16k, 1 % faster on causal:
// docs/performance.md, run 17). Adding an item's dQ tile later, while the next item's S^T runs,
// does not build well with the product itself deferred: kept in flight into the next item,
// ptxas serializes every wgmma (C7514: a non-wgmma read of an accumulator in flight across the
// loop's back edge); issued by the next item, it spills at 255 registers (docs/performance.md,
// 2026-12-07). What works is deferring only the addition of the finished tile (DQ_LATE below).
#ifndef ATTNC_BWD_DQ_FIRST
#define ATTNC_BWD_DQ_FIRST 0
#endif
// The shared two-warpgroup dQ tile of an item, once its product is done (the item ends waiting
// for dK and dQ, so no accumulator is in flight across the loop's back edge), is kept in
// registers and staged and handed to the TMA unit in the next item, between the issue of S^T
// and of dP^T: the tensor cores compute S^T meanwhile instead of idling through the staging
// (0: staged at the end of its own item).
#ifndef ATTNC_BWD_DQ_LATE
#define ATTNC_BWD_DQ_LATE 1
#endif
// 1: the copies of a later item into the stage the previous item released are issued once S^T
// and dP^T of the item are on the tensor cores; 0 (default): at the top of the item. Level in run
// 22; with the instruction trims and the early mask the top measured 2-8 % faster (runs 26-27,
// bwd_profile variant produce_late).
#ifndef ATTNC_BWD_PRODUCE_LATE
#define ATTNC_BWD_PRODUCE_LATE 0
#endif
// Instruction trims of the item loop (docs/performance.md, runs 23-24; bwd_profile variant
// untrimmed turns all four off): Q and dO chunks copied by load_tile_pair_async (per-thread
// addresses advanced by a constant, where the generic rolled copy loop recomputes each copy's row,
// swizzle and address: a fifth of the kernel's issued instructions in run 23's samples), and
// without a score modifier no row-past-Nq test on the LSE (zero-filled rows contribute nothing:
// lse2_pair below).
#ifndef ATTNC_BWD_PAIR_LOADS
#define ATTNC_BWD_PAIR_LOADS 1
#endif
#ifndef ATTNC_BWD_LSE_NQ_TEST
#define ATTNC_BWD_LSE_NQ_TEST 0
#endif
// The CTA's key block and KV head read from shared memory at every use (below); 0 reads blockIdx
// directly (profiling: BigBird's 64-key CTAs took 1.99 ms in run 19's build and 2.70-2.74 in the
// shipped one, variant cta_blockidx; at 128 keys the blockIdx form moved MoA to a spill).
#ifndef ATTNC_BWD_CTA_FROM_SMEM
#define ATTNC_BWD_CTA_FROM_SMEM 1
#endif
// Heavy key blocks first: the emitter lists, in ATTNC_BWD_HEAVY_BLOCKS (ascending), the key blocks
// whose transposed rows are far longer than the others' (attention sinks, global tokens). Their
// CTAs, every KV head's, take the first linear block indices and the other blocks follow in grid
// order, so that the last head's long row does not start in the last wave and run on alone.
// 0 keeps the grid order (profiling variant grid_order). Needs ATTNC_BWD_CTA_FROM_SMEM.
#ifndef ATTNC_BWD_HEAVY_FIRST
#define ATTNC_BWD_HEAVY_FIRST 1
#endif
// dK and dV stored before the wait for the CTA's last bulk reduce-adds to land, which then
// overlaps the stores.
#ifndef ATTNC_BWD_STORE_FIRST
#define ATTNC_BWD_STORE_FIRST 1
#endif
// Keys per dK/dV CTA, 64 or 128 (a warpgroup per 64 keys). The emitter picks it per pattern
// from the transposed schedule's mean row length (codegen/cuda/backward.ts): 64-key CTAs run two
// per SM, so one CTA's prologue and epilogue overlap the other's products, which pays when rows
// are short; 128-key CTAs load each Q / dO chunk and reduce each dQ tile once per 128 keys.
#ifndef ATTNC_BWD_CTA_KEYS
#define ATTNC_BWD_CTA_KEYS 128
#endif
static_assert(ATTNC_BWD_CTA_KEYS == 64 || ATTNC_BWD_CTA_KEYS == 128, "ATTNC_BWD_CTA_KEYS: 64 or 128");

#if !defined(ATTNC_HOST_EMU)
// TMA bulk reduce-add of `bytes` contiguous fp32 from shared memory into global memory
// (sm_90), and the waits on this thread's bulk groups.
__device__ __forceinline__ void bulk_reduce_add_f32(float* dst, uint32_t src, int bytes) {
  asm volatile("cp.reduce.async.bulk.global.shared::cta.bulk_group.add.f32 [%0], [%1], %2;\n"
               ::"l"(dst), "r"(src), "r"(bytes) : "memory");
  asm volatile("cp.async.bulk.commit_group;\n" ::: "memory");
}
__device__ __forceinline__ void bulk_wait_read() {
  asm volatile("cp.async.bulk.wait_group.read 0;\n" ::: "memory");
}
__device__ __forceinline__ void bulk_wait_all() { asm volatile("cp.async.bulk.wait_group 0;\n" ::: "memory"); }

// 4-byte async copy (LSE and delta rows); zero-filled when !valid.
__device__ __forceinline__ void cp_async_4(uint32_t dst, const void* src, bool valid) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(dst), "l"(src), "r"(valid ? 4 : 0));
}
#endif

template <int D, int BN> struct Sm90BwdConfig {
  // Key tiles of the schedule per CTA: with 64-key tiles and 128-key CTAs a CTA takes two
  // adjacent ones, a warpgroup each, and walks the union of their transposed schedule rows:
  // every Q / dO chunk it loads serves 128 keys, and dQ is summed over 128 keys before it
  // goes to the accumulator (half the load and reduce traffic of one-tile CTAs). With
  // 128-key tiles and 64-key CTAs (SPLIT) two CTAs share a tile, each walking its row.
  static constexpr int TILES = BN == 64 && ATTNC_BWD_CTA_KEYS == 128 ? 2 : 1;
  static constexpr bool SPLIT = BN == 128 && ATTNC_BWD_CTA_KEYS == 64;
  static constexpr int KEYS = SPLIT ? 64 : BN * TILES;  // keys per CTA
  static constexpr int NWG = KEYS / 64;            // warpgroups, 64 keys each
  static constexpr int NTHREADS = 128 * NWG;
  static constexpr int QC = 64;                    // query rows per work item
  // With two warpgroups at D = 128 each computes one 64-column half of dQ over all KEYS keys;
  // otherwise each warpgroup adds its own keys' part.
  static constexpr bool SHARED_DQ = NWG == 2 && D == 128 && ATTNC_BWD_SHARED_DQ;
  static constexpr int STAGES = KEYS == 128 ? 3 : 2;
  static constexpr int DS_BUFFERS = NWG == 2 ? 2 : 1;  // dS^T double-buffered across items
  // dQ partials go to the TMA unit (a 16 KB bulk reduce-add per slice, warpgroup and item);
  // -DATTNC_BWD_DQ_BULK1=0 makes one-warpgroup CTAs add with vector atomics instead.
  static constexpr bool DQ_BULK = ATTNC_BWD_DQ_BULK && (NWG == 2 || ATTNC_BWD_DQ_BULK1);
  // one warpgroup stages its dQ slices in the item's own Q / dO stage (its CTA stays small
  // enough for two per SM); two have a staging tile each
  static constexpr bool STAGE_STAGING = DQ_BULK && NWG == 1;
  // dQ product issued before dK's, and staged while dK runs (the shared two-warpgroup path;
  // not with a score modifier, whose pass leaves too few registers: ptxas serializes the wgmmas)
  static constexpr bool DQ_FIRST = SHARED_DQ && DQ_BULK && ATTNC_BWD_DQ_FIRST && !HAS_SCORE_MOD;
  static constexpr bool DEFER_EMPTY = DQ_FIRST || STAGE_STAGING;
  // the shared dQ tile staged in the next item, behind that item's S^T (ATTNC_BWD_DQ_LATE)
  static constexpr bool DQ_LATE = SHARED_DQ && DQ_BULK && !DQ_FIRST && ATTNC_BWD_DQ_LATE && ATTNC_BWD_DQ_MMA;
  // a PARTIAL tile's mask evaluated while S^T and dP^T run (ATTNC_BWD_MASK_EARLY); not with
  // key-tile pairs, where it measured level on S2 (run 27) and BigBird's build spills 4 bytes
  static constexpr bool MASK_EARLY = ATTNC_BWD_MASK_EARLY && TILES == 1;
  // the next load issued behind the item's first two products (ATTNC_BWD_PRODUCE_LATE)
  static constexpr bool PRODUCE_LATE = !DEFER_EMPTY && ATTNC_BWD_PRODUCE_LATE;
  static constexpr int KV_BYTES = KEYS * D * 2;
  static constexpr int QC_BYTES = QC * D * 2;
  static constexpr int STAGE_BYTES = 2 * QC_BYTES;  // Q, dO (1024-byte multiples: swizzle atoms)
  static constexpr int DS_BYTES = KEYS * QC * 2;
  static constexpr int STAGING_BYTES = DQ_BULK && !STAGE_STAGING ? NWG * QC * 64 * 4 : 0;
  static_assert(!STAGE_STAGING || STAGE_BYTES >= D / 64 * QC * 64 * 4, "a dQ slice per 16 KB of the stage");
  static constexpr int LSE_BYTES = STAGES * 2 * QC * 4;  // LSE and delta per stage
  static constexpr int BARRIER_BYTES = 128;
  static constexpr int SMEM_BYTES = 1024 + 2 * KV_BYTES + STAGES * STAGE_BYTES + DS_BUFFERS * DS_BYTES +
                                    STAGING_BYTES + LSE_BYTES + BARRIER_BYTES;
  static_assert(SMEM_BYTES <= 232448, "exceeds the 227 KB of shared memory per block");
};

// One work item of a dK/dV CTA: query head hi of the GQA group, a query tile, and which
// 64-row half of that 128-row tile. Per key tile of the CTA: its transposed schedule row (of
// query head h0 + hi), the row's length n and position j. With two tiles the item's query
// tile qt is the smaller of the rows' current ones, and flags has bit 2u set when tile u is
// in that query tile's row, bit 2u + 1 when FULL there. (Scalar fields: arrays of rows here
// cost ptxas a few registers, which spilled.)
template <int T> struct BwdItem;
template <> struct BwdItem<1> {
  int hi, j, n, half;
  QueryTileRow row;
};
template <> struct BwdItem<2> {
  int hi, half, qt, flags;
  int j0, j1, n0, n1;
  QueryTileRow row0, row1;
};

#ifdef ATTNC_BWD_HEAVY_BLOCKS
// The (key block, KV head) of this dK/dV CTA with the heavy key blocks first: linear block
// indices [0, heavy * Hkv) are the heavy blocks of every KV head, the rest the other key blocks
// in grid order (key blocks fastest), each block skipping the heavy ones below it. A permutation
// of the grid for any ascending list; a list built for a longer sequence keeps the grid order.
__device__ __forceinline__ void bwd_heavy_first(int& kb, int& hk) {
  constexpr int heavy[] = {ATTNC_BWD_HEAVY_BLOCKS};
  constexpr int nh = (int)(sizeof(heavy) / sizeof(heavy[0]));
  const int nkb = (int)gridDim.x, nhk = (int)gridDim.y;
  if (heavy[nh - 1] >= nkb) return;
  const int lin = (int)blockIdx.x + nkb * (int)blockIdx.y;
  if (lin < nh * nhk) {
    const int j = lin / nhk;
#pragma unroll
    for (int i = 0; i < nh; ++i)
      if (i == j) kb = heavy[i];  // (an unrolled select: heavy[j] would put the list on the stack)
    hk = lin % nhk;
    return;
  }
  const int r = lin - nh * nhk, rest = nkb - nh;
  hk = r / rest;
  kb = r % rest;
#pragma unroll
  for (int i = 0; i < nh; ++i) kb += heavy[i] <= kb;
}
#endif

template <typename Elem, int D, int BN>
__device__ __forceinline__ void bwd_dkdv_sm90(const BwdTensors& t, const PatternParams& pp) {
  using Cfg = Sm90BwdConfig<D, BN>;
  constexpr int QC = Cfg::QC, NT = Cfg::NTHREADS, S = Cfg::STAGES, T = Cfg::TILES, KEYS = Cfg::KEYS;
  constexpr int KS = D / 16;   // k-steps of S^T, dP^T (over the head dim)
  constexpr int QS = QC / 16;  // k-steps of dV, dK (over the chunk's queries)
  static_assert(D == 64 || D == 128, "head dim");
  static_assert(BN == 64 || BN == 128, "key tile");

  extern __shared__ uint8_t smem_raw[];
  const uint32_t base = (smem_u32(smem_raw) + 1023u) & ~1023u;
  const uint32_t sK = base, sV = base + Cfg::KV_BYTES;
  auto sQ = [&](int st) { return base + 2 * Cfg::KV_BYTES + st * Cfg::STAGE_BYTES; };
  auto sdO = [&](int st) { return sQ(st) + Cfg::QC_BYTES; };
  auto sDS = [&](int buf) { return base + 2 * Cfg::KV_BYTES + S * Cfg::STAGE_BYTES + buf * Cfg::DS_BYTES; };
  auto sLse = [&](int st) { return sDS(Cfg::DS_BUFFERS) + Cfg::STAGING_BYTES + st * 2 * QC * 4; };  // lse, delta
  const uint32_t bars = sLse(S);
  const uint32_t bar_kv = bars;
  auto full = [&](int st) { return bars + 8 + 8 * st; };
  auto empty = [&](int st) { return bars + 8 + 8 * S + 8 * st; };
  // per stage, what the producer loaded there: the chunk's first query row, and (query head
  // index in the group) << 4 | the item's flags (BwdItem); the consumers read it instead of
  // walking the schedule
  auto meta = [&](int st) { return bars + 8 + 16 * S + 8 * st; };
  const uint32_t sWork = bars + 8 + 24 * S;  // the CTA's block of keys and KV head (blockIdx.x, .y)
  static_assert(8 + 24 * S + 8 <= Cfg::BARRIER_BYTES, "barriers, item records and the work item");

  const int tid = threadIdx.x, wg = tid >> 7, warp_in_wg = (tid >> 5) & 3;
  const int lane = tid & 31, g = lane >> 2, tq = lane & 3;
  // This CTA's block of KEYS keys and its KV head, loaded from shared memory at every use: a
  // load ptxas can neither hoist nor keep, so neither they nor the values derived from them
  // hold registers across the item loop, where the products need every one (kept, or derived
  // from blockIdx, they moved MoA's d128 entries to 255 registers and a spill)
  auto cta = [&]() -> int { return ATTNC_BWD_CTA_FROM_SMEM ? ld_shared_s32(sWork) : (int)blockIdx.x; };
  auto hk = [&]() -> int { return ATTNC_BWD_CTA_FROM_SMEM ? ld_shared_s32(sWork + 4) : (int)blockIdx.y; };
  auto kt0 = [&]() { return Cfg::SPLIT ? cta() / 2 : cta() * T; };  // the CTA's (first) key tile
  auto k0 = [&]() { return cta() * KEYS; };                          // its first key
  const int b = blockIdx.z, l = t.layer;
  const int num_k_tiles = (t.Nk + BN - 1) / BN;
  const int G = t.H / t.Hkv;
  auto h0 = [&]() { return hk() * G; };  // the GQA group's first query head
  const int my = T == 2 ? wg : 0;  // this warpgroup's key tile kt0 + my
  const uint32_t sStage = sDS(Cfg::DS_BUFFERS) + wg * (Cfg::STAGING_BYTES / Cfg::NWG);  // this warpgroup's

  if (tid == 0) {
    mbarrier_init(bar_kv, NT);
    for (int st = 0; st < S; ++st) {
      mbarrier_init(full(st), NT + 1);  // every thread's copies, and thread 0's item record
      mbarrier_init(empty(st), NT);
    }
    int cta_kb = blockIdx.x, cta_hk = blockIdx.y;
#if defined(ATTNC_BWD_HEAVY_BLOCKS) && ATTNC_BWD_HEAVY_FIRST && ATTNC_BWD_CTA_FROM_SMEM
    bwd_heavy_first(cta_kb, cta_hk);
#endif
    st_shared_b32(sWork, cta_kb);
    st_shared_b32(sWork + 4, cta_hk);
  }
  __syncthreads();

  using Item = BwdItem<T>;
  auto head = [&](Item& it) {  // the rows of query head h0 + it.hi (none past the group)
    if constexpr (T == 1) {
      it.j = 0;
      it.n = it.hi < G ? num_query_tiles(pp, b, l, h0() + it.hi, kt0()) : 0;
      if (it.hi < G) it.row = query_tile_row(pp, b, l, h0() + it.hi, kt0());
    } else {
      const bool in1 = kt0() + 1 < num_k_tiles;  // (an odd number of key tiles: the last CTA has one)
      it.j0 = it.j1 = 0;
      it.n0 = it.hi < G ? num_query_tiles(pp, b, l, h0() + it.hi, kt0()) : 0;
      it.n1 = it.hi < G && in1 ? num_query_tiles(pp, b, l, h0() + it.hi, kt0() + 1) : 0;
      if (it.hi < G) it.row0 = query_tile_row(pp, b, l, h0() + it.hi, kt0());
      if (it.hi < G && in1) it.row1 = query_tile_row(pp, b, l, h0() + it.hi, kt0() + 1);
    }
  };
  // past the current head's row(s): the next head with any query tile; with two rows, the
  // item's query tile (rows are ascending)
  auto pick = [&](Item& it) {
    if constexpr (T == 1) {
      while (it.j >= it.n && it.hi < G) {
        ++it.hi;
        head(it);
      }
    } else {
      while (it.j0 >= it.n0 && it.j1 >= it.n1 && it.hi < G) {
        ++it.hi;
        head(it);
      }
      if (it.hi >= G) return;
      bool f0 = false, f1 = false;
      const int q0 = it.j0 < it.n0 ? query_tile_at(pp, it.row0, it.j0, f0) : 0x7fffffff;
      const int q1 = it.j1 < it.n1 ? query_tile_at(pp, it.row1, it.j1, f1) : 0x7fffffff;
      it.qt = min(q0, q1);
      it.flags = (q0 == it.qt ? 1 | (f0 ? 2 : 0) : 0) | (q1 == it.qt ? 4 | (f1 ? 8 : 0) : 0);
    }
  };
  auto first = [&](Item& it) {
    it.hi = 0;
    it.half = 0;
    head(it);
    pick(it);
  };
  auto advance = [&](Item& it) {
    if (it.half == 0) {
      it.half = 1;
      return;
    }
    it.half = 0;
    if constexpr (T == 1) {
      ++it.j;
    } else {
      it.j0 += it.flags & 1;
      it.j1 += (it.flags >> 2) & 1;
    }
    pick(it);
  };

  // Loads item `it` (the n-th issued) into stage n % S once every thread is done with the
  // item that used it before.
  auto issue = [&](const Item& it, int n) {
    const int st = n % S;
    if (n >= S) mbarrier_wait(empty(st), (n / S - 1) & 1);
    const int h = h0() + it.hi;
    int qt, flags;
    if constexpr (T == 1) {
      bool f = false;
      qt = query_tile_at(pp, it.row, it.j, f);
      flags = f ? 3 : 1;
    } else {
      qt = it.qt;
      flags = it.flags;
    }
    const int q0 = qt * BLOCK_M + it.half * QC;
    if (tid == 0) {  // released to the consumers by a plain arrival (cp.async arrivals order only the copies)
      st_shared_b32(meta(st), q0);
      st_shared_b32(meta(st) + 4, it.hi << 4 | flags);
      mbarrier_arrive(full(st));
    }
    const uint16_t* qg = reinterpret_cast<const uint16_t*>(t.q) + b * t.q_sb + h * t.q_sh;
    const uint16_t* dg = reinterpret_cast<const uint16_t*>(t.dout) + b * t.do_sb + h * t.do_sh;
    if constexpr (ATTNC_BWD_PAIR_LOADS) {
      load_tile_pair_async<QC, D, NT>(sQ(st), qg, t.q_sn, sdO(st), dg, t.do_sn, q0, t.Nq, tid);
    } else {
      load_tile_async<QC, D, NT, true>(sQ(st), qg, t.q_sn, q0, t.Nq, tid);
      load_tile_async<QC, D, NT, true>(sdO(st), dg, t.do_sn, q0, t.Nq, tid);
    }
    if (tid < 2 * QC) {
      const int r = tid % QC, q = q0 + r;
#if ATTNC_BWD_LSE2
      const float* lse = t.delta + (long long)t.B * t.H * t.Nq;  // (pre's log2 LSE)
#else
      const float* lse = t.lse;
#endif
      const float* src = (tid < QC ? lse : t.delta) + ((long long)b * t.H + h) * t.Nq;
      cp_async_4(sLse(st) + 4 * tid, q < t.Nq ? src + q : src, q < t.Nq);
    }
    cp_async_mbarrier_arrive(full(st));
  };
  // After the last item: a record with no data (first query row -1) that ends the consumers'
  // loop, so that they never count the items (a walk of the schedule rows per CTA).
  auto issue_end = [&](int n) {
    const int st = n % S;
    if (n >= S) mbarrier_wait(empty(st), (n / S - 1) & 1);
    if (tid == 0) {
      st_shared_b32(meta(st), 0xffffffffu);
      mbarrier_arrive(full(st));
    }
    mbarrier_arrive(full(st));
  };

  // dK / dV accumulators. With DQ_FIRST dK stays on the tensor cores across iterations, and
  // ptxas serializes every wgmma if a non-wgmma instruction defines an accumulator inside such
  // a window (the zeroing reaches the loop head): the first item's dK overwrites instead.
  float dk[D / 2], dv[D / 2];
#pragma unroll
  for (int i = 0; i < D / 2; ++i) {
    dv[i] = 0.0f;
    if constexpr (!Cfg::DQ_FIRST) dk[i] = 0.0f;
  }

  // The items: two 64-row chunks per query tile of the transposed schedule row(s), every head
  // of the group, then the end record.
  Item prod;
  first(prod);
  bool ended = false;
  auto produce_at = [&](int n) {  // the n-th load: the next item, or once the end record
    if (prod.hi < G) {
      issue(prod, n);
      advance(prod);
    } else if (!ended) {
      issue_end(n);
      ended = true;
    }
  };
  // K and V of the block of keys from key0, completing a phase of bar_kv
  auto load_kv = [&](int key0) {
    const uint16_t* kg = reinterpret_cast<const uint16_t*>(t.k) + b * t.k_sb + hk() * t.k_sh;
    const uint16_t* vg = reinterpret_cast<const uint16_t*>(t.v) + b * t.v_sb + hk() * t.v_sh;
    load_tile_async<KEYS, D, NT>(sK, kg, t.k_sn, key0, t.Nk, tid);
    load_tile_async<KEYS, D, NT>(sV, vg, t.v_sn, key0, t.Nk, tid);
    cp_async_mbarrier_arrive(bar_kv);
  };
  // dK (times the scale) and dV of this thread's rows of the block of keys from key0
  auto store_dkdv = [&](int key0) {
    Elem* dkg = reinterpret_cast<Elem*>(t.dk) + b * t.dk_sb + hk() * t.dk_sh;
    Elem* dvg = reinterpret_cast<Elem*>(t.dv) + b * t.dv_sb + hk() * t.dv_sh;
    store_rows<Elem, D>(dkg, t.dk_sn, key0 + wg * 64 + warp_in_wg * 16, t.Nk, dk, t.scale);
    store_rows<Elem, D>(dvg, t.dv_sn, key0 + wg * 64 + warp_in_wg * 16, t.Nk, dv, 1.0f);
  };
  const bool any = prod.hi < G;
  if (any) load_kv(k0());
  for (int i = 0; i < S - 1; ++i) produce_at(i);
  if (any) mbarrier_wait(bar_kv, 0);

  float* dq_acc = t.dq_accum;
  (void)sStage;

  // One dQ slice (64 queries x 64 head-dim columns): the product dS K (one commit group) and
  // its addition to the fp32 accumulator.
  constexpr int DQ_KSTEPS = Cfg::SHARED_DQ ? KEYS / 16 : 4;
  auto dq_product = [&](float (&acc)[32], uint32_t ds, int slice, int key0) {
#pragma unroll
    for (int i = 0; i < 32; ++i) acc[i] = 0.0f;
    fence_operands(acc);
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < DQ_KSTEPS; ++kk) {
      const uint32_t row = key0 + kk * 16;
      WgmmaTT<Elem>::ss(acc, make_smem_desc(ds + row * 128, KEYS * 128, 1024),
                        make_smem_desc(sK + slice * (KEYS * 128) + row * 128, KEYS * 128, 1024), kk > 0);
    }
    wgmma_commit();
  };
  auto dq_add = [&](const float (&acc)[32], int h, int q0, int slice, int st) {
    if (!ATTNC_BWD_DQ_ATOMICS || dq_acc == nullptr) return;
    float* tile = dq_acc + dq_tile_offset<D>(t, b, h, q0, slice);
    if constexpr (Cfg::DQ_BULK) {
      // staging tile (the accumulator's own swizzled layout), then one bulk reduce-add; with one
      // warpgroup the staging tile is the item's own Q / dO stage (free once dK and dV are done)
      const uint32_t issuer = wg * 128;
      const uint32_t stage = Cfg::STAGE_STAGING ? sQ(st) + slice * (QC * 64 * 4) : sStage;
      if (!Cfg::STAGE_STAGING && tid == issuer) bulk_wait_read();  // the previous reduce has read it
      named_barrier(1 + wg, 128);
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        const int row = warp_in_wg * 16 + g + 8 * r;
#pragma unroll
        for (int i = 0; i < 8; ++i)
          st_shared_v2_f32(stage + 4 * dq_swizzle(row, 8 * i + 2 * tq), acc[4 * i + 2 * r], acc[4 * i + 2 * r + 1]);
      }
      if (ATTNC_BWD_DQ_FENCE) fence_proxy_async();
      named_barrier(1 + wg, 128);
      if (tid == issuer && ATTNC_BWD_DQ_REDUCE) bulk_reduce_add_f32(tile, stage, QC * 64 * 4);
    } else {
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        const int row = warp_in_wg * 16 + g + 8 * r;
        if (q0 + row < t.Nq) {
#pragma unroll
          for (int i = 0; i < 8; ++i)
            atomicAdd(reinterpret_cast<float2*>(tile + dq_swizzle(row, 8 * i + 2 * tq)),
                      make_float2(acc[4 * i + 2 * r], acc[4 * i + 2 * r + 1]));
        }
      }
    }
  };
  // DEFER_EMPTY: an item's stage is released (and the next load issued into it) only in the
  // following item, after its first wait on the tensor cores: dK of the item may still read Q
  // (DQ_FIRST), or the bulk reduce-add may still read the staging tile in the stage.
  auto produce = [&](int n) { produce_at(n + S - 1); };  // in item n (the prologue issued 0 .. S - 2)
  // dS^T as dK's A operand; with DQ_FIRST the tensor cores read it until the next item's first wait
  uint32_t sa[QS][4];
  bool dk_started = false;  // (DQ_FIRST: dk holds no value before this warpgroup's first dK product)
#pragma unroll
  for (int kk = 0; kk < QS; ++kk)
#pragma unroll
    for (int r = 0; r < 4; ++r) sa[kk][r] = 0u;

  // After item n's first wait on the tensor cores (the previous item's dK is done): dk and sa
  // are this thread's again; with DEFER_EMPTY the previous stage is released and the next load
  // issued into it, while the tensor cores run.
  auto previous_done = [&](int n) {
    fence_operands(dk);
    fence_operands(sa);
    if constexpr (Cfg::DEFER_EMPTY) {
      if (n > 0) {
        if constexpr (Cfg::STAGE_STAGING) {
          if (tid == 0) bulk_wait_read();
        }
        mbarrier_arrive(empty((n - 1) % S));
      }
      produce(n);
    }
  };

  // DQ_LATE: the previous item's finished dQ tile, its query head and first row (late_h < 0: none)
  float late[32];
#pragma unroll
  for (int i = 0; i < 32; ++i) late[i] = 0.0f;
  int late_h = -1, late_q0 = 0;
  auto add_late = [&]() {
    if constexpr (Cfg::DQ_LATE) {
      if (late_h >= 0) dq_add(late, late_h, late_q0, wg, 0);
      late_h = -1;
    }
  };

  // The items (the end record ends the loop)
#pragma unroll 1
  for (int n = 0;; ++n) {
    if constexpr (!Cfg::DEFER_EMPTY && !Cfg::PRODUCE_LATE) produce(n);
    const int st = n % S;
    mbarrier_wait(full(st), (n / S) & 1);
    fence_proxy_async();

    const uint2 rec = ld_shared_v2(meta(st));
    const int q0 = (int)rec.x, h = h0() + (int)(rec.y >> 4);
    if (q0 < 0) break;  // the end record
    const bool active = (rec.y >> (2 * my)) & 1;  // this warpgroup's key tile is in the chunk's row
    const bool full_tile = (rec.y >> (2 * my + 1)) & 1;
    const int kfirst = k0();  // the CTA's first key
    const int key_row = kfirst + wg * 64 + warp_in_wg * 16 + g;  // this lane's keys key_row, key_row + 8
    const bool check = !full_tile || kfirst + KEYS > t.Nk;  // (a ragged last block of keys)

    // S^T and dP^T of this warpgroup's 64 keys x the chunk's 64 queries, two commit groups:
    // without a score modifier P^T is computed (and dV += P^T dO issued) while dP^T is still
    // on the tensor cores.
    // everything up to dS^T (in sa) and the issue of dV += P^T dO
    auto compute = [&]() {
    // element (i, e) of s / dp (below) inside the mask and Nk; PARTIAL or ragged tiles only
    // (a mask of several rules: its (l, h) dispatch once per item, not per element)
#ifdef ATTNC_MASK_HEAD
    const int mhead = full_tile ? 0 : mask_head(pp, b, t.layer, h);
#endif
    auto inside = [&](int i, int e) -> bool {
      const int q = q0 + 8 * i + 2 * tq + (e & 1), k = key_row + 8 * (e >> 1);
      bool ok = k < t.Nk;
#ifdef ATTNC_MASK_HEAD
      if (!full_tile) ok = ok && q < t.Nq && mask_in(pp, mhead, b, t.layer, h, q, k);
#else
      if (!full_tile) ok = ok && q < t.Nq && mask(pp, b, t.layer, h, q, k);
#endif
      return ok;
    };
    float s[32], dp[32];
#pragma unroll
    for (int i = 0; i < 32; ++i) s[i] = 0.0f;
    fence_operands(s);
    if constexpr (!Cfg::DQ_LATE) {
#pragma unroll
      for (int i = 0; i < 32; ++i) dp[i] = 0.0f;
      fence_operands(dp);
    }
    wgmma_fence();
    // acc = (this warpgroup's 64 rows of the key tile kv) x (the chunk's rows of x)^T, one group
    auto transposed_product = [&](float (&acc)[32], uint32_t kv, uint32_t x) {
#pragma unroll
      for (int kk = 0; kk < KS; ++kk) {
        const uint32_t koff = (kk >> 2) * (KEYS * 128) + wg * 64 * 128 + (kk & 3) * 32;
        const uint32_t xoff = (kk >> 2) * (QC * 128) + (kk & 3) * 32;
        Wgmma<Elem, 64>::ss(acc, make_smem_desc(kv + koff, 16, 1024), make_smem_desc(x + xoff, 16, 1024), kk > 0);
      }
      wgmma_commit();
    };
    transposed_product(s, sK, sQ(st));
    if constexpr (Cfg::DQ_LATE) {
      add_late();  // the previous item's dQ tile, while S^T runs
#pragma unroll
      for (int i = 0; i < 32; ++i) dp[i] = 0.0f;
      fence_operands(dp);
      wgmma_fence();
    }
    transposed_product(dp, sV, sdO(st));
    if constexpr (Cfg::PRODUCE_LATE) produce(n);  // (after the end record there is nothing to load)
    // MASK_EARLY: a PARTIAL (or ragged) tile's mask, bit 4i + e for element (i, e), is
    // evaluated here, while S^T and dP^T are on the tensor cores, instead of after the
    // exponentials, between S^T's wait and the issue of dV
    uint32_t keep = ~0u;
    if (Cfg::MASK_EARLY && check) {
      keep = 0u;
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int e = 0; e < 4; ++e) keep |= (uint32_t)inside(i, e) << (4 * i + e);
    }

    // Element (i, e) of s / dp: key key_row + 8*(e>>1), query column 8i + 2tq + (e&1) of the
    // chunk. Rows with no allowed key (LSE = -inf) give P = 0; so do rows past Nq with a score
    // modifier (it may take a zero-filled row's logit anywhere), and with ATTNC_BWD_LSE_NQ_TEST=1
    // (profiling; off by default) without one. Without one such a row has
    // S = 0 (Q zero-filled) and LSE 0 (zero-filled), P = 1, and contributes nothing: its dO and
    // delta are zero-filled too, so dS = 0 and P^T dO = 0 (and partial tiles mask it anyway).
    // LSE (log2 domain) and delta of this lane's query columns 8i + 2tq + {0, 1}
    auto lse2_pair = [&](int i, float (&l2)[2]) {
      const int col = 8 * i + 2 * tq;
      const uint2 v = ld_shared_v2(sLse(st) + 4 * col);
#pragma unroll
      for (int e1 = 0; e1 < 2; ++e1) {
        const float lse = __uint_as_float(e1 ? v.y : v.x);
        const bool past = (HAS_SCORE_MOD || ATTNC_BWD_LSE_NQ_TEST) && q0 + col + e1 >= t.Nq;
#if ATTNC_BWD_LSE2
        l2[e1] = past ? pos_inf() : lse;  // (already log2, +inf for no key)
#else
        l2[e1] = (past || lse == neg_inf()) ? pos_inf() : lse * LOG2E;
#endif
      }
    };
    auto delta_pair = [&](int i, float (&dl)[2]) {
      const uint2 v = ld_shared_v2(sLse(st) + 4 * (QC + 8 * i + 2 * tq));
      dl[0] = __uint_as_float(v.x);
      dl[1] = __uint_as_float(v.y);
    };
    // PARTIAL or ragged tiles only, in a pass of its own (interleaved with the exponentials the
    // compiler predicated the mask on every tile): zero(e) for the elements outside the mask
    // or past Nk (MASK_EARLY: as evaluated into `keep` while S^T and dP^T ran)
    auto mask_pass = [&](auto&& zero) {
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          if constexpr (Cfg::MASK_EARLY) {
            if (!((keep >> (4 * i + e)) & 1u)) zero(4 * i + e);
          } else {
            if (!inside(i, e)) zero(4 * i + e);
          }
        }
    };
    uint32_t pa[QS][4];
    // fp32 fragments -> the A operand of the m64n{D}k16 products (k = the chunk's queries)
    auto pack = [&](const float (&x)[32], uint32_t (&a)[QS][4]) {
#pragma unroll
      for (int kk = 0; kk < QS; ++kk)
#pragma unroll
        for (int r = 0; r < 4; ++r) a[kk][r] = ElemTraits<Elem>::pack2(x[8 * kk + 2 * r], x[8 * kk + 2 * r + 1]);
    };
    fence_operands(dv);
    if constexpr (!Cfg::DQ_FIRST) fence_operands(dk);  // (DQ_FIRST: the previous dK may still run)
    if constexpr (!HAS_SCORE_MOD && ATTNC_BWD_OVERLAP_P) {
      wgmma_wait<1>();  // S^T ready (and the previous item's dK), dP^T may still run
      fence_operands(s);
      previous_done(n);
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        float l2[2];
        lse2_pair(i, l2);
#pragma unroll
        for (int e = 0; e < 4; ++e) s[4 * i + e] = fast_exp2(s[4 * i + e] * t.scale_log2 - l2[e & 1]);
      }
      if (check && ATTNC_BWD_MASK_PASS) mask_pass([&](int e) { s[e] = 0.0f; });
      pack(s, pa);
      // dV += P^T dO (B operand MN-major: the chunk's rows are the k dimension)
      fence_operands(pa);
      wgmma_fence();
#pragma unroll
      for (int kk = 0; kk < QS; ++kk) Wgmma<Elem, D>::rs(dv, pa[kk], make_smem_desc(sdO(st) + kk * 16 * 128, QC * 128, 1024));
      wgmma_commit();
      wgmma_wait<1>();  // dP^T ready, dV may still run
      fence_operands(dp);
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        float dl[2];
        delta_pair(i, dl);
#pragma unroll
        for (int e = 0; e < 4; ++e) dp[4 * i + e] = s[4 * i + e] * (dp[4 * i + e] - dl[e & 1]);
      }
      pack(dp, sa);
    } else {
      // a score modifier needs the raw logit for its derivative: P^T and dS^T in one pass
      wgmma_wait<0>();
      fence_operands(s);
      fence_operands(dp);
      previous_done(n);
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        float l2[2], dl[2];
        lse2_pair(i, l2);
        delta_pair(i, dl);
#pragma unroll
        for (int e = 0; e < 4; ++e)
          dp[4 * i + e] = bwd_element(s[4 * i + e], dp[4 * i + e], l2[e & 1], dl[e & 1], t, pp, b, h,
                                      q0 + 8 * i + 2 * tq + (e & 1), key_row + 8 * (e >> 1), false, true);
      }
      if (check) mask_pass([&](int e) { s[e] = dp[e] = 0.0f; });  // (a NaN score_mod_grad there too)
      pack(s, pa);
      pack(dp, sa);
      fence_operands(pa);
      wgmma_fence();
#pragma unroll
      for (int kk = 0; kk < QS; ++kk) Wgmma<Elem, D>::rs(dv, pa[kk], make_smem_desc(sdO(st) + kk * 16 * 128, QC * 128, 1024));
      wgmma_commit();
    }
    };
    if (T == 1 || active) {
      compute();
    } else {
      // none of this warpgroup's keys in the chunk's query tile: dS^T = 0 for the shared dQ
      wgmma_wait<0>();  // (the previous item's dK)
      previous_done(n);
      add_late();
      if constexpr (Cfg::PRODUCE_LATE) produce(n);
#pragma unroll
      for (int kk = 0; kk < QS; ++kk)
#pragma unroll
        for (int r = 0; r < 4; ++r) sa[kk][r] = 0u;
    }
    // dK += dS^T Q
    auto dk_product = [&]() {
      fence_operands(sa);
      wgmma_fence();
#pragma unroll
      for (int kk = 0; kk < QS; ++kk)
        Wgmma<Elem, D>::rs(dk, sa[kk], make_smem_desc(sQ(st) + kk * 16 * 128, QC * 128, 1024),
                           !Cfg::DQ_FIRST || kk > 0 || (T == 1 ? n > 0 : dk_started));
      wgmma_commit();
      dk_started = true;
    };
    if constexpr (!Cfg::DQ_FIRST) {
      if (T == 1 || active) dk_product();
    }

    // dS^T to shared memory (rows = keys, 64 query columns = one 128-byte swizzled row).
    // sa[kk][r]: row g + 8*(r&1), 16-byte chunk 2kk + (r>>1), columns 2tq, 2tq+1 of it.
    const uint32_t ds = sDS(n % Cfg::DS_BUFFERS);
    if constexpr (Cfg::DS_BUFFERS == 1) named_barrier(1 + wg, 128);  // the previous item's dQ reads are done
    const int ds_row = wg * 64 + warp_in_wg * 16 + g;
#pragma unroll
    for (int kk = 0; kk < QS; ++kk)
#pragma unroll
      for (int r = 0; r < 4; ++r)
        st_shared_b32(ds + tile_offset<KEYS>(ds_row + 8 * (r & 1), 2 * kk + (r >> 1)) + 4 * tq, sa[kk][r]);
    fence_proxy_async();
    if constexpr (Cfg::SHARED_DQ) named_barrier(3, NT);
    else named_barrier(1 + wg, 128);

    // dQ partial (64 queries x 64 head-dim columns per slice) = dS K, then its addition.
    if constexpr (!ATTNC_BWD_DQ_MMA) {
    } else if constexpr (Cfg::DQ_FIRST) {
      // dQ, then dK behind it: the dQ partial is staged and handed to the TMA unit while dK
      // is still on the tensor cores
      float acc[32];
      dq_product(acc, ds, wg, 0);
      if (T == 1 || active) {
        dk_product();
        wgmma_wait<1>();
      } else {
        wgmma_wait<0>();
      }
      fence_operands(acc);
      dq_add(acc, h, q0, wg, st);
    } else if constexpr (Cfg::DQ_LATE) {
      float acc[32];
      dq_product(acc, ds, wg, 0);  // added in the next item (add_late), or after the loop
      wgmma_wait<0>();
      fence_operands(acc);
      copy_out(late, acc);  // (read while the next item's S^T runs: C7517 otherwise)
      late_h = h;
      late_q0 = q0;
    } else if constexpr (Cfg::SHARED_DQ) {
      float acc[32];
      dq_product(acc, ds, wg, 0);
      wgmma_wait<0>();
      fence_operands(acc);
      dq_add(acc, h, q0, wg, st);
    } else {
#pragma unroll 1
      for (int slice = 0; slice < D / 64 && (T == 1 || active); ++slice) {
        float acc[32];
        dq_product(acc, ds, slice, wg * 64);
        wgmma_wait<0>();
        fence_operands(acc);
        dq_add(acc, h, q0, slice, st);
      }
    }
    if constexpr (!ATTNC_BWD_DQ_MMA || !Cfg::DQ_FIRST) {
      wgmma_wait<0>();
      fence_operands(dk);
    }
    fence_operands(dv);
    if constexpr (!Cfg::DEFER_EMPTY) mbarrier_arrive(empty(st));  // Q, dO, LSE, delta of this stage are no longer read
  }
  wgmma_wait<0>();  // the last item's dK
  fence_operands(dk);
  fence_operands(sa);
  if constexpr (Cfg::DQ_FIRST) {
    if (T == 1 ? !any : !dk_started) {
#pragma unroll
      for (int i = 0; i < D / 2; ++i) dk[i] = 0.0f;
    }
  }

  add_late();  // the last item's
  auto wait_reduces = [&]() {
    if constexpr (Cfg::DQ_BULK) {
      if (tid == wg * 128) bulk_wait_all();  // the reduces have landed before the CTA retires
    }
  };
  if constexpr (!ATTNC_BWD_STORE_FIRST) wait_reduces();
  store_dkdv(k0());
  if constexpr (ATTNC_BWD_STORE_FIRST) wait_reduces();
}

// dq = scale * accumulator in the element type: one CTA per 128 query rows, 8 columns per
// thread and step.
template <int D, int BN> struct Sm90DqConvertConfig {
  static constexpr int NTHREADS = 256;
  static constexpr int SMEM_BYTES = 0;
};

template <typename Elem, int D, int BN>
__device__ __forceinline__ void bwd_dq_convert(const BwdTensors& t, const PatternParams&) {
  constexpr int CPR = D / 8;  // 8-column groups per row
  const int h = blockIdx.y, b = blockIdx.z;
  const int row0 = blockIdx.x * BLOCK_M;
  Elem* out = reinterpret_cast<Elem*>(t.dq) + b * t.dq_sb + h * t.dq_sh;
#pragma unroll 4
  for (int i = threadIdx.x; i < BLOCK_M * CPR; i += 256) {
    const int q = row0 + i / CPR, c = (i % CPR) * 8;
    if (q >= t.Nq) break;
    const float* tile = t.dq_accum + dq_tile_offset<D>(t, b, h, q & ~63, c / 64);
    const float4 a = *reinterpret_cast<const float4*>(tile + dq_swizzle(q & 63, c % 64));
    const float4 z = *reinterpret_cast<const float4*>(tile + dq_swizzle(q & 63, c % 64 + 4));
    uint4 v;
    v.x = ElemTraits<Elem>::pack2(a.x * t.scale, a.y * t.scale);
    v.y = ElemTraits<Elem>::pack2(a.z * t.scale, a.w * t.scale);
    v.z = ElemTraits<Elem>::pack2(z.x * t.scale, z.y * t.scale);
    v.w = ElemTraits<Elem>::pack2(z.z * t.scale, z.w * t.scale);
    *reinterpret_cast<uint4*>(out + (long long)q * t.dq_sn + c) = v;
  }
}

#endif  // sm_90a

}  // namespace attnc
