// row_reduce_subgroup.wgsl: row reduction of attention_fwd.wgsl through subgroup shuffles.
// Used when the adapter has 'subgroups' and its subgroups hold at least ROW_LANES
// invocations (subgroupMinSize >= 8). Needs `enable subgroups;` in the variant header.

struct InvocationIds {
  @builtin(local_invocation_index) local_index: u32,
  @builtin(subgroup_invocation_id) subgroup_lane: u32,
  @builtin(subgroup_size) subgroup_size: u32,
}

var<workgroup> subgroup_counter: atomic<u32>;

// WGSL does not promise how local_invocation_index maps onto subgroups, so number the
// subgroups of this workgroup ourselves: logical id = subgroup number * size + lane. The
// row's ROW_LANES lanes are then one aligned group of lanes inside a single subgroup
// (THREADS is a multiple of every power-of-two subgroup size up to 128, so all are full).
fn logical_invocation(ids: InvocationIds) -> u32 {
  var first = 0u;
  if (subgroupElect()) {
    first = atomicAdd(&subgroup_counter, 1u);
  }
  let subgroup_number = subgroupBroadcastFirst(first);
  return subgroup_number * ids.subgroup_size + ids.subgroup_lane;
}

// Butterfly sum over the ROW_LANES (= 8) lanes of each row; every lane gets the same sum.
fn reduce_row_scores(s: ptr<function, array<f32, BLOCK_N>>, row: u32, lane: u32) {
  const_assert ROW_LANES == 8u;
  for (var n = 0u; n < BLOCK_N; n++) {
    var x = (*s)[n];
    x += subgroupShuffleXor(x, 1u);
    x += subgroupShuffleXor(x, 2u);
    x += subgroupShuffleXor(x, 4u);
    (*s)[n] = x;
  }
}
