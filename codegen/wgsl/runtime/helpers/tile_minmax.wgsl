// tile_minmax: per row of a runtime int array and tile of `tile` positions, the minimum and the
// maximum of the row's in-range entries (a ragged last tile covers only [t * tile, n)). The
// schedule builder's classifier bounds `x[..., q]` / `x[..., k]` over a tile with them
// (codegen/lower/runtimeSummaries.ts is the reference). One invocation per (row, tile).
//
// Notation: rows counts every batch entry's rows (row-major [batches][rows][n] from src_off);
// the output is [batches][rows][tiles][2] (min, max) from dst_off, both in rt_i32.

struct MinMaxParams {
  rows: u32,
  n: u32,
  tile: u32,
  tiles: u32,
  src_off: u32,
  dst_off: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> mm: MinMaxParams;
@group(0) @binding(1) var<storage, read_write> rt_i32: array<i32>;

const MINMAX_WORKGROUP: u32 = 64u;

@compute @workgroup_size(64)
fn tile_minmax(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * MINMAX_WORKGROUP;
  if (i >= mm.rows * mm.tiles) {
    return;
  }
  let row = i / mm.tiles;
  let lo = (i % mm.tiles) * mm.tile;
  let hi = min(mm.n, lo + mm.tile);
  var smallest: i32 = 2147483647i;
  var largest: i32 = -2147483647i - 1i;
  for (var p = lo; p < hi; p++) {
    let v = rt_i32[mm.src_off + row * mm.n + p];
    smallest = min(smallest, v);
    largest = max(largest, v);
  }
  rt_i32[mm.dst_off + 2u * i] = smallest;
  rt_i32[mm.dst_off + 2u * i + 1u] = largest;
}
