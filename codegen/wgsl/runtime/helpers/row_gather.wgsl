// Gather of runtime int inputs into the row permutation's sorted order (row_permute.wgsl sorts,
// row_tensors.wgsl moves Q/K/V and O/LSE; codegen/lower/permutationHost.ts is the reference).
// One invocation per output element.
//
// Notation: positions pos[pr][i] in rt_i32 from pos_off; over out_rows rows (batch entries *
// rows), rt[dst_off + r * n + i] = rt[src_off + sr * n + pos[pr][i]], where sr and pr are r
// modulo the source's and the positions' rows (a broadcast entry serves every batch entry).

struct GatherParams {
  out_rows: u32,   // rows written: batch entries * rows
  n: u32,
  src_rows: u32,   // rows of the source: rows (broadcast) or batch entries * rows
  pos_rows: u32,   // rows of the position table, likewise
  src_off: u32,
  pos_off: u32,
  dst_off: u32,
  _pad0: u32,
}

@group(0) @binding(0) var<uniform> gp: GatherParams;
@group(0) @binding(1) var<storage, read_write> rt_i32: array<i32>;

const GATHER_WORKGROUP: u32 = 64u;

fn flat_id(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * GATHER_WORKGROUP;
}

fn position(row: u32, i: u32) -> u32 {
  return u32(rt_i32[gp.pos_off + (row % gp.pos_rows) * gp.n + i]);
}

@compute @workgroup_size(64)
fn row_gather_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = flat_id(gid, groups);
  if (e >= gp.out_rows * gp.n) {
    return;
  }
  let row = e / gp.n;
  let i = e % gp.n;
  rt_i32[gp.dst_off + e] = rt_i32[gp.src_off + (row % gp.src_rows) * gp.n + position(row, i)];
}
