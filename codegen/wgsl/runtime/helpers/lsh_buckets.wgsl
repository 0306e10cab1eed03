// lsh(Q|K, buckets, seed): the bucket of every row of Q (or K), written into the pattern's
// runtime int array (grammar/SPEC.md, "Runtime inputs"). One invocation per row.
//
// Notation: a row is one (batch, head, position) of x ([B, heads, N, D], row-major), so row r
// writes rt_i32[out_off + r] (the emitted prelude reads [B][heads][N] with batch stride heads*N).
// R is the SPEC's D x half projection, built on the host bit-exactly (its entries are exact in
// f32). xR[j] is accumulated over d in increasing order in f32; the bucket is the first maximum
// of [xR[0..half), -xR[0..half)], so ties go to the lower index.
//
// The runner prepends the variant header (`enable f16;` and `alias elem = f16;`, or
// `alias elem = f32;`), so x is read in the attention's storage type.

struct LshParams {
  rows: u32,     // B * heads * N
  dim: u32,      // D
  half: u32,     // buckets / 2
  out_off: u32,  // offset of this input in rt_i32
}

@group(0) @binding(0) var<uniform> lsh: LshParams;
@group(0) @binding(1) var<storage, read> x_rows: array<elem>;
@group(0) @binding(2) var<storage, read> rotation: array<f32>;      // [D][half]
@group(0) @binding(3) var<storage, read_write> rt_i32: array<i32>;

const LSH_WORKGROUP: u32 = 64u;

@compute @workgroup_size(64)
fn lsh_buckets(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = gid.x + gid.y * groups.x * LSH_WORKGROUP;
  if (row >= lsh.rows) {
    return;
  }
  let base = row * lsh.dim;
  // First maximum among +xR and among -xR separately: the +xR half comes first in the
  // concatenation, so a -xR entry wins only when strictly greater.
  var best_pos = 0u;
  var best_pos_value = 0.0;
  var best_neg = 0u;
  var best_neg_value = 0.0;
  for (var j = 0u; j < lsh.half; j++) {
    var acc = 0.0;
    for (var d = 0u; d < lsh.dim; d++) {
      acc += f32(x_rows[base + d]) * rotation[d * lsh.half + j];
    }
    if (j == 0u || acc > best_pos_value) {
      best_pos = j;
      best_pos_value = acc;
    }
    if (j == 0u || -acc > best_neg_value) {
      best_neg = j;
      best_neg_value = -acc;
    }
  }
  var bucket = best_pos;
  if (best_neg_value > best_pos_value) {
    bucket = lsh.half + best_neg;
  }
  rt_i32[lsh.out_off + row] = i32(bucket);
}
