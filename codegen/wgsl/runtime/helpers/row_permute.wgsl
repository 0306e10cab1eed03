// Row permutation (codegen/lower/permutation.ts is the reference; docs/wgsl-kernel.md, "Row
// permutation"): sort the rows of each (batch, head) by (sort key, position), gather tensors and
// runtime inputs into sorted order before attention, scatter O and LSE back after it.
//
// Notation: a sort row r is one (batch entry, head) of the sort input ([rows][n] from key_off in
// rt_i32); positions[r][i] (from pos_off) is the original position of the i-th sorted row. The
// key of a value v is clamp(v, 0, buckets - 1) (kind 0, bucket ids) or 0 if v != 0 else 1 (kind 1,
// keep flags: kept rows first). The sort is a stable counting sort: row_sort_count counts one
// bucket of one row, row_sort_place writes that bucket's positions in order after the counts of
// the lower buckets. Buckets are few (lsh buckets, or 2), so one invocation per (row, bucket)
// scanning the row is enough parallelism for the sizes we run.
//
// The runner prepends the variant header (`alias elem = f16;` or `f32;`) for the tensor passes.

struct SortParams {
  rows: u32,     // batch entries * rows
  n: u32,
  buckets: u32,
  kind: u32,     // 0 bucket, 1 keep
  key_off: u32,
  pos_off: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> sp: SortParams;
@group(0) @binding(1) var<storage, read_write> rt_i32: array<i32>;
@group(0) @binding(2) var<storage, read_write> counts: array<u32>;  // [rows][buckets]

const PERMUTE_WORKGROUP: u32 = 64u;

fn sort_key(v: i32) -> u32 {
  if (sp.kind == 1u) {
    return select(1u, 0u, v != 0i);
  }
  return u32(clamp(v, 0i, i32(sp.buckets) - 1i));
}

@compute @workgroup_size(64)
fn row_sort_count(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * PERMUTE_WORKGROUP;
  if (i >= sp.rows * sp.buckets) {
    return;
  }
  let row = i / sp.buckets;
  let bucket = i % sp.buckets;
  var c = 0u;
  for (var p = 0u; p < sp.n; p++) {
    c += select(0u, 1u, sort_key(rt_i32[sp.key_off + row * sp.n + p]) == bucket);
  }
  counts[i] = c;
}

@compute @workgroup_size(64)
fn row_sort_place(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * PERMUTE_WORKGROUP;
  if (i >= sp.rows * sp.buckets) {
    return;
  }
  let row = i / sp.buckets;
  let bucket = i % sp.buckets;
  var at = 0u;
  for (var b = 0u; b < bucket; b++) {
    at += counts[row * sp.buckets + b];
  }
  for (var p = 0u; p < sp.n; p++) {
    if (sort_key(rt_i32[sp.key_off + row * sp.n + p]) == bucket) {
      rt_i32[sp.pos_off + row * sp.n + at] = i32(p);
      at++;
    }
  }
}
