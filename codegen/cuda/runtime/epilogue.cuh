// attnc CUDA runtime: pieces both forward paths share around the main loop -- the
// query-tile order of the grid and the output/LSE epilogue.
#pragma once

#include "common.cuh"
#include "softmax.cuh"

namespace attnc {

// Output epilogue shared by both paths: normalises this warp's 16 rows, stages them in
// the (swizzled) Q tile, then writes 16-byte chunks and the LSE with row bounds checks.
template <typename Elem, int D, int BM>
__device__ __forceinline__ void store_output(const FwdTensors& t, uint32_t sQ, float (&o)[D / 2],
                                             SoftmaxState& st, int b, int h, int q0,
                                             int warp_row0 /* first row of this warp in tile */) {
  const int lane = threadIdx.x & 31, g = lane >> 2, tq = lane & 3;
  float inv_l[2], lse[2];
  st.finish(inv_l, lse);
#pragma unroll
  for (int i = 0; i < D / 8; ++i) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      int row = warp_row0 + g + 8 * r;
      uint32_t v = ElemTraits<Elem>::pack2(o[4 * i + 2 * r] * inv_l[r], o[4 * i + 2 * r + 1] * inv_l[r]);
      st_shared_b32(sQ + tile_offset<BM>(row, i) + tq * 4, v);
    }
  }
  __syncwarp();
  Elem* og = reinterpret_cast<Elem*>(t.o) + b * t.o_sb + h * t.o_sh;
  constexpr int CHUNKS = 16 * D / 8;
#pragma unroll
  for (int i = 0; i < CHUNKS / 32; ++i) {
    int c = lane + 32 * i;
    int row = warp_row0 + c / (D / 8);
    int chunk = c % (D / 8);
    int q = q0 + row;
    const uint4 val = ld_shared_v4(sQ + tile_offset<BM>(row, chunk));
    if (q < t.Nq) *reinterpret_cast<uint4*>(og + q * t.o_sn + chunk * 8) = val;
  }
  if (tq == 0) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      int q = q0 + warp_row0 + g + 8 * r;
      if (q < t.Nq) t.lse[((long long)b * t.H + h) * t.Nq + q] = lse[r];
    }
  }
}

// Grid: (num_q_tiles, H, B). The pattern header fixes the launch order, heaviest query tiles
// first so that the grid's tail is short: REVERSE_QUERY_TILES maps block 0 to the last
// query tile (causal-like growth); with ATTNC_QUERY_TILE_ORDER_TABLE defined the grid is walked slot-major,
// head-minor (the H heads of one slot are consecutive blocks) and query_tile_order[slot]
// names the tile (irregular work, e.g. BigBird's global rows at both ends).
__device__ __forceinline__ void query_work_item(int& qt, int& h) {
#ifdef ATTNC_QUERY_TILE_ORDER_TABLE
  const int linear = (int)blockIdx.x + (int)gridDim.x * (int)blockIdx.y;
  h = linear % (int)gridDim.y;
  qt = query_tile_order[linear / (int)gridDim.y];
#else
  qt = REVERSE_QUERY_TILES ? (int)(gridDim.x - 1 - blockIdx.x) : (int)blockIdx.x;
  h = (int)blockIdx.y;
#endif
}

// The backward's per-query-tile kernels keep the plain (qt, h = blockIdx.y) grid.
__device__ __forceinline__ int query_tile_index() {
  return REVERSE_QUERY_TILES ? (int)(gridDim.x - 1 - blockIdx.x) : (int)blockIdx.x;
}

}  // namespace attnc
