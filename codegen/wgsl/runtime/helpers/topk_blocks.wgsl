// topk_blocks(k, block, causal): per (batch, head, query block qb) the k key blocks with the
// highest pooled score mean(Q[qb rows]) . mean(K[kb rows]) (rows clipped to the sequence;
// candidates kb <= qb when causal), ties to the lower kb (grammar/SPEC.md). Three passes, one
// entry point each, in this order:
//   topk_pool    one invocation per pooled row: block means of Q ([B][H][nqb][D]) and then of
//                K ([B][Hkv][nkb][D]) into `pooled`;
//   topk_scores  one invocation per (b, h, qb, kb): the dot product into `scores`;
//   topk_select  one invocation per (b, h, qb, slot < max(nkb, k)): a candidate's rank is the
//                number of candidates that beat it (higher score, or equal and lower kb); ranks
//                below k write kb into that slot, and slots [n, k) past the n candidates get -1.
// The output row of (b, h, qb) is rt_i32[out_off + b * out_bstride + (h * nqb + qb) * k ..+k]
// (the emitted prelude tests membership, so the order within a row is free).
// The runner prepends the variant header (`alias elem = f32|f16;`).

struct TopkParams {
  batch: u32,
  heads: u32,
  kv_heads: u32,
  q_len: u32,
  k_len: u32,
  dim: u32,
  block: u32,
  k: u32,
  causal: u32,
  q_blocks: u32,
  k_blocks: u32,
  out_off: u32,
  out_bstride: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> topk: TopkParams;
@group(0) @binding(1) var<storage, read> q_rows: array<elem>;
@group(0) @binding(2) var<storage, read> k_rows: array<elem>;
@group(0) @binding(3) var<storage, read_write> pooled: array<f32>;
@group(0) @binding(4) var<storage, read_write> scores: array<f32>;
@group(0) @binding(5) var<storage, read_write> rt_i32: array<i32>;

const TOPK_WORKGROUP: u32 = 64u;

fn invocation(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * TOPK_WORKGROUP;
}

fn pooled_q_rows() -> u32 {
  return topk.batch * topk.heads * topk.q_blocks;
}

@compute @workgroup_size(64)
fn topk_pool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = invocation(gid, groups);
  let nq_rows = pooled_q_rows();
  if (i >= nq_rows + topk.batch * topk.kv_heads * topk.k_blocks) {
    return;
  }
  let is_q = i < nq_rows;
  var r = i;
  var n = topk.q_len;
  var blocks = topk.q_blocks;
  if (!is_q) {
    r = i - nq_rows;
    n = topk.k_len;
    blocks = topk.k_blocks;
  }
  let bh = r / blocks;              // b * heads + h (or b * kv_heads + hk)
  let lo = (r % blocks) * topk.block;
  let hi = min(n, lo + topk.block);
  let base = bh * n * topk.dim;
  let inv = 1.0 / f32(hi - lo);
  for (var d = 0u; d < topk.dim; d++) {
    var sum = 0.0;
    for (var row = lo; row < hi; row++) {
      if (is_q) {
        sum += f32(q_rows[base + row * topk.dim + d]);
      } else {
        sum += f32(k_rows[base + row * topk.dim + d]);
      }
    }
    pooled[i * topk.dim + d] = sum * inv;
  }
}

@compute @workgroup_size(64)
fn topk_scores(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = invocation(gid, groups);
  if (i >= topk.batch * topk.heads * topk.q_blocks * topk.k_blocks) {
    return;
  }
  let kb = i % topk.k_blocks;
  let q_row = i / topk.k_blocks;                      // (b * heads + h) * nqb + qb
  let bh = q_row / topk.q_blocks;
  let b = bh / topk.heads;
  let hk = (bh % topk.heads) / (topk.heads / topk.kv_heads);
  let k_row = pooled_q_rows() + (b * topk.kv_heads + hk) * topk.k_blocks + kb;
  var dot = 0.0;
  for (var d = 0u; d < topk.dim; d++) {
    dot += pooled[q_row * topk.dim + d] * pooled[k_row * topk.dim + d];
  }
  scores[i] = dot;
}

@compute @workgroup_size(64)
fn topk_select(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = invocation(gid, groups);
  let slots = max(topk.k_blocks, topk.k);
  if (i >= topk.batch * topk.heads * topk.q_blocks * slots) {
    return;
  }
  let kb = i % slots;
  let q_row = i / slots;                               // (b * heads + h) * nqb + qb
  let qb = q_row % topk.q_blocks;
  let b = q_row / (topk.heads * topk.q_blocks);
  let hq = q_row % (topk.heads * topk.q_blocks);       // h * nqb + qb
  let dst = topk.out_off + b * topk.out_bstride + hq * topk.k;
  var n = topk.k_blocks;
  if (topk.causal != 0u) {
    n = min(qb + 1u, topk.k_blocks);
  }
  if (kb >= n) {
    if (kb < topk.k) {
      rt_i32[dst + kb] = -1;
    }
    return;
  }
  let row = q_row * topk.k_blocks;
  let s = scores[row + kb];
  var rank = 0u;
  for (var other = 0u; other < n; other++) {
    let t = scores[row + other];
    if (t > s || (t == s && other < kb)) {
      rank++;
    }
  }
  if (rank < topk.k) {
    rt_i32[dst + rank] = i32(kb);
  }
}
