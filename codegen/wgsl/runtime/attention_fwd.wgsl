// attention_fwd.wgsl: block-sparse flash-attention forward, the hand-written WGSL skeleton.
// The emitter supplies only a pattern prelude (tile constants + the four hooks of
// codegen/HOOKS.md); docs/wgsl-kernel.md describes how a module is assembled and launched.
//
// Notation (see codegen/HOOKS.md):
//   b batch, l layer, h query head, hk = h / (H / Hkv) its KV head; q query row, k key.
//   Query tile qt = workgroup_id.x covers rows [qt*BLOCK_M, min((qt+1)*BLOCK_M, Nq)).
//   Key tile kt covers keys [kt*BLOCK_N, min((kt+1)*BLOCK_N, Nk)).
//   A workgroup is BLOCK_M rows x ROW_LANES lanes. Each lane owns VEC_PER_LANE vec4s of the
//   head dimension (interleaved: lane + i*ROW_LANES), holds that slice of the scaled query
//   row and of the output accumulator in registers, and computes partial dot products that
//   reduce_row_scores sums across the row's lanes.
//
// Assembled module, in this order (WGSL resolves module-scope names in any order):
//   1. variant header: `enable f16;` / `enable subgroups;` as chosen, and `alias elem = f32|f16;`
//   2. pattern prelude: const BLOCK_M, BLOCK_N, HEAD_DIM: u32, the hooks, @group(1) bindings
//   3. this file
//   4. one row-reduce file: row_reduce_subgroup.wgsl or row_reduce_workgroup.wgsl, which
//      define struct InvocationIds, fn logical_invocation, fn reduce_row_scores. The
//      latter is called once per key tile in uniform control flow; it may use workgroup
//      memory, relying on the barrier at the top of the tile loop between two calls.
//
// Hooks the prelude defines (all must be free of barriers and subgroup operations):
//   fn num_key_tiles(b: u32, l: u32, h: u32, qt: u32) -> u32
//   fn key_tile(b: u32, l: u32, h: u32, qt: u32, j: u32, full: ptr<function, bool>) -> u32
//   fn mask(b: u32, l: u32, h: u32, q: u32, k: u32) -> bool         // PARTIAL tiles, in range
//   fn score_mod(s: f32, b: u32, l: u32, h: u32, q: u32, k: u32) -> f32
// num_key_tiles and key_tile must depend only on their arguments, `params`, and read-only
// (uniform or storage, read) buffers, so that the tile loop stays workgroup-uniform.

const ROW_LANES: u32 = 8u;                          // invocations sharing one query row
const THREADS: u32 = BLOCK_M * ROW_LANES;           // workgroup size
const VEC_PER_ROW: u32 = HEAD_DIM / 4u;             // vec4s in one row of Q, K, V or O
const VEC_PER_LANE: u32 = VEC_PER_ROW / ROW_LANES;  // vec4s of that row one lane owns

// WGSL implementations need not honour infinities, so "no score yet" is a finite sentinel
// and -inf reaches the LSE buffer only as a bit pattern.
const NO_SCORE: f32 = -3.0e38;
const NEG_INF_BITS: u32 = 0xff800000u;

const_assert HEAD_DIM % (4u * ROW_LANES) == 0u;     // 32, 64, 96, 128, ...
const_assert THREADS <= 256u;                       // default maxComputeInvocationsPerWorkgroup
const_assert BLOCK_N <= 32u;                        // kept-key flags fit one u32

// Uniform block: 32 bytes, every field 4 bytes, in this order.
struct Params {
  batch: u32,      // B      offset  0
  heads: u32,      // H      offset  4
  kv_heads: u32,   // Hkv    offset  8 (divides H)
  q_len: u32,      // Nq     offset 12
  k_len: u32,      // Nk     offset 16
  scale: f32,      // scale  offset 20 (logit = q.k * scale)
  layer: u32,      // l      offset 24
  _pad: u32,       //        offset 28
}

// Tensors are [B, H, N, D] (K, V: [B, Hkv, Nk, D]) contiguous, read as vec4s of elem.
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q_buf: array<vec4<elem>>;
@group(0) @binding(2) var<storage, read> k_buf: array<vec4<elem>>;
@group(0) @binding(3) var<storage, read> v_buf: array<vec4<elem>>;
@group(0) @binding(4) var<storage, read_write> o_buf: array<vec4<elem>>;
// LSE [B, H, Nq], natural log, f32 bit patterns (so that -inf is exact).
@group(0) @binding(5) var<storage, read_write> lse_buf: array<u32>;

var<workgroup> k_tile: array<vec4<elem>, BLOCK_N * VEC_PER_ROW>;
var<workgroup> v_tile: array<vec4<elem>, BLOCK_N * VEC_PER_ROW>;

// Cooperative copy of key tile kt of K and V into workgroup memory; keys past Nk are zero.
fn load_kv_tile(kv_row0: u32, kt: u32, lid: u32) {
  let k0 = kt * BLOCK_N;
  for (var i = lid; i < BLOCK_N * VEC_PER_ROW; i += THREADS) {
    let k = k0 + i / VEC_PER_ROW;
    var kv = vec4<elem>();
    var vv = vec4<elem>();
    if (k < params.k_len) {
      let g = (kv_row0 + k) * VEC_PER_ROW + i % VEC_PER_ROW;
      kv = k_buf[g];
      vv = v_buf[g];
    }
    k_tile[i] = kv;
    v_tile[i] = vv;
  }
}

@compute @workgroup_size(THREADS)
fn attention_fwd(@builtin(workgroup_id) wg: vec3<u32>, ids: InvocationIds) {
  let lid = logical_invocation(ids);
  let row = lid / ROW_LANES;
  let lane = lid % ROW_LANES;

  let qt = wg.x;
  let h = wg.y;
  let b = wg.z;
  let l = params.layer;
  let hk = h / (params.heads / params.kv_heads);
  let q = qt * BLOCK_M + row;
  let q_in = q < params.q_len;                      // ragged last query tile
  let q_row = (b * params.heads + h) * params.q_len + q;
  let kv_row0 = (b * params.kv_heads + hk) * params.k_len;

  // This lane's slice of the query row, pre-scaled, and of the output accumulator.
  var q_reg: array<vec4<f32>, VEC_PER_LANE>;
  var acc: array<vec4<f32>, VEC_PER_LANE>;
  if (q_in) {
    for (var i = 0u; i < VEC_PER_LANE; i++) {
      q_reg[i] = vec4<f32>(q_buf[q_row * VEC_PER_ROW + lane + i * ROW_LANES]) * params.scale;
    }
  }
  var row_max = NO_SCORE;   // running max of kept logits
  var row_sum = 0.0;        // running sum of exp(logit - row_max)

  let n_tiles = num_key_tiles(b, l, h, qt);
  for (var j = 0u; j < n_tiles; j++) {
    var full = false;
    let kt = key_tile(b, l, h, qt, j, &full);
    let k0 = kt * BLOCK_N;

    workgroupBarrier();                             // last tile's readers are done
    load_kv_tile(kv_row0, kt, lid);
    workgroupBarrier();

    var s: array<f32, BLOCK_N>;
    for (var n = 0u; n < BLOCK_N; n++) {
      var partial = 0.0;
      for (var i = 0u; i < VEC_PER_LANE; i++) {
        partial += dot(q_reg[i], vec4<f32>(k_tile[n * VEC_PER_ROW + lane + i * ROW_LANES]));
      }
      s[n] = partial;
    }
    reduce_row_scores(&s, row, lane);               // every lane of the row: full logits

    // Mask (PARTIAL tiles only; out-of-range keys always), score_mod, tile max.
    var kept = 0u;
    var tile_max = NO_SCORE;
    for (var n = 0u; n < BLOCK_N; n++) {
      let k = k0 + n;
      var keep = q_in && k < params.k_len;
      if (keep && !full) {
        keep = mask(b, l, h, q, k);
      }
      if (keep) {
        s[n] = score_mod(s[n], b, l, h, q, k);
        tile_max = max(tile_max, s[n]);
        kept |= 1u << n;
      }
    }

    // Online softmax update; a row that has kept nothing yet stays untouched.
    let new_max = max(row_max, tile_max);
    if (kept != 0u) {
      let alpha = exp(row_max - new_max);           // 0 on the first kept key (finite sentinel)
      row_sum *= alpha;
      for (var i = 0u; i < VEC_PER_LANE; i++) {
        acc[i] *= alpha;
      }
      for (var n = 0u; n < BLOCK_N; n++) {
        if ((kept & (1u << n)) != 0u) {
          let p = exp(s[n] - new_max);
          row_sum += p;
          for (var i = 0u; i < VEC_PER_LANE; i++) {
            acc[i] += p * vec4<f32>(v_tile[n * VEC_PER_ROW + lane + i * ROW_LANES]);
          }
        }
      }
      row_max = new_max;
    }
  }

  if (q_in) {
    // Rows with no kept key: O = 0, LSE = -inf.
    let inv_sum = select(0.0, 1.0 / row_sum, row_sum > 0.0);
    for (var i = 0u; i < VEC_PER_LANE; i++) {
      o_buf[q_row * VEC_PER_ROW + lane + i * ROW_LANES] = vec4<elem>(acc[i] * inv_sum);
    }
    if (lane == 0u) {
      lse_buf[q_row] = select(NEG_INF_BITS, bitcast<u32>(row_max + log(row_sum)), row_sum > 0.0);
    }
  }
}
