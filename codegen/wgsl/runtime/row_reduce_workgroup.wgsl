// row_reduce_workgroup.wgsl: row reduction of attention_fwd.wgsl through workgroup memory.
// The fallback for adapters without usable subgroups; costs BLOCK_M*BLOCK_N*ROW_LANES*4
// bytes of workgroup storage and one barrier per key tile.

struct InvocationIds {
  @builtin(local_invocation_index) local_index: u32,
}

// Key n's partials of one row are two vec4s (lanes 0-3, 4-7): summing them is two loads.
var<workgroup> score_scratch: array<vec4<f32>, BLOCK_M * BLOCK_N * 2u>;

fn logical_invocation(ids: InvocationIds) -> u32 {
  return ids.local_index;
}

// Every lane sums the row's partials in the same order, so all lanes get the same logits.
fn reduce_row_scores(s: ptr<function, array<f32, BLOCK_N>>, row: u32, lane: u32) {
  const_assert ROW_LANES == 8u;
  let base = row * BLOCK_N * 2u + lane / 4u;
  for (var n = 0u; n < BLOCK_N; n++) {
    score_scratch[base + n * 2u][lane % 4u] = (*s)[n];
  }
  workgroupBarrier();
  for (var n = 0u; n < BLOCK_N; n++) {
    let both = score_scratch[row * BLOCK_N * 2u + n * 2u] + score_scratch[row * BLOCK_N * 2u + n * 2u + 1u];
    (*s)[n] = (both.x + both.y) + (both.z + both.w);
  }
  // No closing barrier: the next write to score_scratch comes after the barrier at the top
  // of the next key tile in attention_fwd.
}
