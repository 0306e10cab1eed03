// sorted_list: per row of a runtime int array (an index list, or a top-k selection), its
// distinct non-negative entries in ascending order, padded with i32 max, so that the
// classifier counts the listed values of an interval with two binary searches
// (codegen/lower/runtimeSummaries.ts is the reference). Two passes, one invocation per entry:
//   sorted_keys     key = the entry, or the pad when it is negative or repeats an earlier entry
//                   of its row, into `keys`;
//   sorted_scatter  rank = number of keys of the row before it in (key, index) order; the key
//                   goes to dst[row * n + rank].
// Rows are rows of every batch entry, row-major from src_off / dst_off in rt_i32.

struct SortParams {
  rows: u32,
  n: u32,
  src_off: u32,
  dst_off: u32,
}

@group(0) @binding(0) var<uniform> sl: SortParams;
@group(0) @binding(1) var<storage, read_write> rt_i32: array<i32>;
@group(0) @binding(2) var<storage, read_write> keys: array<i32>;

const SORT_WORKGROUP: u32 = 64u;
const SORTED_PAD: i32 = 2147483647i;

fn entry_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * SORT_WORKGROUP;
}

@compute @workgroup_size(64)
fn sorted_keys(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = entry_index(gid, groups);
  if (i >= sl.rows * sl.n) {
    return;
  }
  let row0 = i - i % sl.n;
  let v = rt_i32[sl.src_off + i];
  var key = v;
  if (v < 0i) {
    key = SORTED_PAD;
  }
  for (var j = row0; j < i; j++) {
    if (rt_i32[sl.src_off + j] == v) {
      key = SORTED_PAD;
    }
  }
  keys[i] = key;
}

@compute @workgroup_size(64)
fn sorted_scatter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = entry_index(gid, groups);
  if (i >= sl.rows * sl.n) {
    return;
  }
  let row0 = i - i % sl.n;
  let key = keys[i];
  var rank = 0u;
  for (var j = row0; j < row0 + sl.n; j++) {
    let other = keys[j];
    if (other < key || (other == key && j < i)) {
      rank++;
    }
  }
  rt_i32[sl.dst_off + row0 + rank] = key;
}
