// Q/K/V gather and O/LSE scatter of the row permutation (row_permute.wgsl sorts; codegen/lower/
// permutationHost.ts is the reference). One invocation per (row, d) element of the output.
//
// Notation: positions pos[pr][i] in rt_i32 from pos_off, pr = (b or 0 when the table is
// broadcast, pos_bstride 0) * rows + r.
//   row_gather_tensor: y[b, r, i, :] = x[b, r / group, pos[pr][i], :]  (x [B, src_heads, n, D],
//                      y [B, rows, n, D], group = rows / src_heads: GQA heads are expanded when
//                      keys are sorted per query head).
//   row_scatter:       o[b, h, pos[pr][i], :] = o_sorted[b, h, i, :]; lse the same with D = 1.
//                      Every row of o is written once (pos is a permutation), so empty rows
//                      (dropped queries) come back as the kernel wrote them: O = 0, LSE = -inf.
//
// The runner prepends the variant header (`alias elem = f16;` or `f32;`): tensors move in the
// attention's storage type; LSE as f32 bits (u32).

struct TensorParams {
  batch: u32,
  rows: u32,       // heads of the output (gather) / of O (scatter)
  src_heads: u32,  // heads of the source tensor (gather)
  n: u32,
  dim: u32,
  pos_off: u32,
  pos_bstride: u32, // 0: one position table for every batch entry
  _pad0: u32,
}

@group(0) @binding(0) var<uniform> tp: TensorParams;
@group(0) @binding(1) var<storage, read> rt_i32: array<i32>;
@group(0) @binding(2) var<storage, read> src: array<elem>;
@group(0) @binding(3) var<storage, read_write> dst: array<elem>;
@group(0) @binding(4) var<storage, read> lse_src: array<u32>;
@group(0) @binding(5) var<storage, read_write> lse_dst: array<u32>;

const TENSOR_WORKGROUP: u32 = 64u;

fn sorted_position(b: u32, r: u32, i: u32) -> u32 {
  return u32(rt_i32[tp.pos_off + b * tp.pos_bstride + r * tp.n + i]);
}

@compute @workgroup_size(64)
fn row_gather_tensor(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = gid.x + gid.y * groups.x * TENSOR_WORKGROUP;
  if (e >= tp.batch * tp.rows * tp.n * tp.dim) {
    return;
  }
  let d = e % tp.dim;
  let row = e / tp.dim;  // (b * rows + r) * n + i
  let i = row % tp.n;
  let r = (row / tp.n) % tp.rows;
  let b = row / (tp.n * tp.rows);
  let head = r / (tp.rows / tp.src_heads);
  dst[e] = src[((b * tp.src_heads + head) * tp.n + sorted_position(b, r, i)) * tp.dim + d];
}

@compute @workgroup_size(64)
fn row_scatter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = gid.x + gid.y * groups.x * TENSOR_WORKGROUP;
  if (e >= tp.batch * tp.rows * tp.n * tp.dim) {
    return;
  }
  let d = e % tp.dim;
  let row = e / tp.dim;
  let i = row % tp.n;
  let r = (row / tp.n) % tp.rows;
  let b = row / (tp.n * tp.rows);
  let to = (b * tp.rows + r) * tp.n + sorted_position(b, r, i);
  dst[to * tp.dim + d] = src[e];
  if (d == 0u) {
    lse_dst[to] = lse_src[row];
  }
}
