// row_reduce_workgroup.wgsl: row reduction of attention_fwd.wgsl through workgroup memory.
// The fallback for adapters without usable subgroups; costs BLOCK_M*BLOCK_N*ROW_LANES*4
// bytes of workgroup storage and two barriers per key tile.

struct InvocationIds {
  @builtin(local_invocation_index) local_index: u32,
}

var<workgroup> score_scratch: array<f32, BLOCK_M * BLOCK_N * ROW_LANES>;

fn logical_invocation(ids: InvocationIds) -> u32 {
  return ids.local_index;
}

// Every lane sums the row's partials in the same order, so all lanes get the same logits.
fn reduce_row_scores(s: ptr<function, array<f32, BLOCK_N>>, row: u32, lane: u32) {
  let base = row * BLOCK_N * ROW_LANES;
  for (var n = 0u; n < BLOCK_N; n++) {
    score_scratch[base + n * ROW_LANES + lane] = (*s)[n];
  }
  workgroupBarrier();
  for (var n = 0u; n < BLOCK_N; n++) {
    var total = 0.0;
    for (var r = 0u; r < ROW_LANES; r++) {
      total += score_scratch[base + n * ROW_LANES + r];
    }
    (*s)[n] = total;
  }
  workgroupBarrier();
}
