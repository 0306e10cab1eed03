// attnc CUDA runtime: the runtime schedule builder (codegen/lower/runtime.ts), launched before
// attention for patterns whose tiles depend on runtime inputs. One warp per (b, h, qt) walks
// its row of the static envelope, 32 tiles at a time (one per lane); tiles the envelope marks
// FULL stay FULL (FULL for every input), the others are classified from the runtime summaries
// (EMPTY dropped, FULL and PARTIAL kept), and the kept tiles are compacted in envelope order
// (ballot + popc) into the schedule buffer: the row's count, then kt * 2 + full per visited
// key tile, which the pattern's num_key_tiles / key_tile hooks read.
//
// The pattern header (namespace attnc) defines, besides the attention hooks:
//   NUM_Q_TILES, PatternParams,
//   int  env_num_key_tiles(P, b, l, h, qt)
//   int  env_key_tile(P, b, l, h, qt, j, bool& full)
//   int  classify_tile(P, b, l, h, qt, kt)        // 0 EMPTY, 1 FULL, 2 PARTIAL
//   int  schedule_row(P, b, h, qt)                // index of the row's count
//   void schedule_store(P, index, value)
// Launch: grid ceil(B * H * NUM_Q_TILES / SCHEDULE_BUILD_ROWS), SCHEDULE_BUILD_THREADS threads,
// one ScheduleBuildParams by value, after the summaries (tile min / max, sorted lists) exist.
#pragma once

namespace attnc {

constexpr int SCHEDULE_BUILD_THREADS = 128;
constexpr int SCHEDULE_BUILD_ROWS = SCHEDULE_BUILD_THREADS / 32;  // one warp per row
constexpr int TILE_EMPTY = 0;
constexpr int TILE_FULL = 1;

struct ScheduleBuildParams {
  PatternParams pattern;
  int B, H, layer;
};

// One row of a schedule by one warp: the row's n envelope tiles, 32 at a time (one per lane);
// tile(j, full) gives the j-th tile and whether the envelope marks it FULL, classify(t) the
// runtime class of a non-FULL one; the kept ones are compacted in envelope order (ballot +
// popc) after the count at base: t * 2 + full.
template <typename TileAt, typename Classify, typename Store>
__device__ __forceinline__ void build_row(int base, int n, int lane, TileAt tile, Classify classify, Store store) {
  int count = 0;
  for (int j0 = 0; j0 < n; j0 += 32) {
    const int j = j0 + lane;
    bool keep = false;
    int entry = 0;
    if (j < n) {
      bool full = false;
      const int t = tile(j, full);
      const int cls = full ? TILE_FULL : classify(t);
      keep = cls != TILE_EMPTY;
      entry = t * 2 + (cls == TILE_FULL ? 1 : 0);
    }
    const unsigned kept = __ballot_sync(0xffffffffu, keep);
    if (keep) store(base + 1 + count + __popc(kept & ((1u << lane) - 1u)), entry);
    count += __popc(kept);
  }
  if (lane == 0) store(base, count);
}

__device__ __forceinline__ void build_schedule_row(const PatternParams& P, int b, int l, int h, int qt, int lane) {
  build_row(schedule_row(P, b, h, qt), env_num_key_tiles(P, b, l, h, qt), lane,
            [&](int j, bool& full) { return env_key_tile(P, b, l, h, qt, j, full); },
            [&](int kt) { return classify_tile(P, b, l, h, qt, kt); },
            [&](int index, int value) { schedule_store(P, index, value); });
}

#ifdef ATTNC_TRANSPOSED_RUNTIME_SCHEDULE
// The backward's transposed schedule: one warp per (b, h, kt) walks the transposed envelope
// (env_num_query_tiles / env_query_tile) and keeps exactly the tiles the forward row walk
// keeps, classify_tile(qt, kt) being the same function with the same summaries; a key
// tile's row is its count, then qt * 2 + full (schedule_t_row, schedule_t_store).
__device__ __forceinline__ void build_schedule_t_row(const PatternParams& P, int b, int l, int h, int kt, int lane) {
  build_row(schedule_t_row(P, b, h, kt), env_num_query_tiles(P, b, l, h, kt), lane,
            [&](int j, bool& full) { return env_query_tile(P, b, l, h, kt, j, full); },
            [&](int qt) { return classify_tile(P, b, l, h, qt, kt); },
            [&](int index, int value) { schedule_t_store(P, index, value); });
}
#endif

}  // namespace attnc

namespace attnc {
// The (b, h, row) of this warp's row among B * H * rows_per_head; false past the last one
// (rows are whole warps, so such a warp returns as a whole).
__device__ __forceinline__ bool warp_row(const ScheduleBuildParams& p, int rows_per_head, int& b, int& h, int& r) {
  const int row = blockIdx.x * SCHEDULE_BUILD_ROWS + threadIdx.x / 32;
  if (row >= p.B * p.H * rows_per_head) return false;
  r = row % rows_per_head;
  h = (row / rows_per_head) % p.H;
  b = row / (rows_per_head * p.H);
  return true;
}
}  // namespace attnc

extern "C" __global__ void __launch_bounds__(attnc::SCHEDULE_BUILD_THREADS)
    attnc_schedule_build(const attnc::ScheduleBuildParams p) {
  int b, h, qt;
  if (attnc::warp_row(p, attnc::NUM_Q_TILES, b, h, qt)) attnc::build_schedule_row(p.pattern, b, p.layer, h, qt, threadIdx.x % 32);
}

#ifdef ATTNC_TRANSPOSED_RUNTIME_SCHEDULE
// Launch: grid ceil(B * H * NUM_K_TILES / SCHEDULE_BUILD_ROWS), SCHEDULE_BUILD_THREADS threads,
// the same ScheduleBuildParams, before the backward's dK/dV kernel.
extern "C" __global__ void __launch_bounds__(attnc::SCHEDULE_BUILD_THREADS)
    attnc_schedule_build_t(const attnc::ScheduleBuildParams p) {
  int b, h, kt;
  if (attnc::warp_row(p, attnc::NUM_K_TILES, b, h, kt)) attnc::build_schedule_t_row(p.pattern, b, p.layer, h, kt, threadIdx.x % 32);
}
#endif
