// schedule_build: the runtime schedule of codegen/lower/runtime.ts, written before attention.
// One invocation per (b, h, qt) walks its row of the static envelope; tiles the envelope marks
// FULL stay FULL (they are FULL for every input), the others are classified from the runtime
// summaries (EMPTY tiles dropped, FULL and PARTIAL kept), and the compact row goes to the
// runtime schedule buffer: its count, then kt * 2 + full per visited key tile, which the
// attention prelude's num_key_tiles / key_tile read.
//
// The emitted builder prelude (<pattern>.schedule.wgsl) defines, with the pattern's bindings:
//   const NUM_Q_TILES: u32
//   fn env_num_key_tiles(b: u32, l: u32, h: u32, qt: u32) -> u32
//   fn env_key_tile(b: u32, l: u32, h: u32, qt: u32, j: u32, full: ptr<function, bool>) -> u32
//   fn classify_tile(b: u32, l: u32, h: u32, qt: u32, kt: u32) -> u32   // 0 EMPTY, 1 FULL, 2 PARTIAL
//   fn schedule_row(b: u32, h: u32, qt: u32) -> u32                     // index of the row's count
//   fn schedule_store(index: u32, value: u32)

struct BuildParams {
  batch: u32,
  heads: u32,
  layer: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> build: BuildParams;

const BUILD_WORKGROUP: u32 = 64u;
const TILE_EMPTY: u32 = 0u;
const TILE_FULL: u32 = 1u;

@compute @workgroup_size(64)
fn schedule_build(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = gid.x + gid.y * groups.x * BUILD_WORKGROUP;
  if (row >= build.batch * build.heads * NUM_Q_TILES) {
    return;
  }
  let qt = row % NUM_Q_TILES;
  let h = (row / NUM_Q_TILES) % build.heads;
  let b = row / (NUM_Q_TILES * build.heads);
  let l = build.layer;
  let base = schedule_row(b, h, qt);
  var count = 0u;
  let n = env_num_key_tiles(b, l, h, qt);
  for (var j = 0u; j < n; j++) {
    var full = false;
    let kt = env_key_tile(b, l, h, qt, j, &full);
    var cls = TILE_FULL;
    if (!full) {
      cls = classify_tile(b, l, h, qt, kt);
    }
    if (cls != TILE_EMPTY) {
      schedule_store(base + 1u + count, kt * 2u + select(0u, 1u, cls == TILE_FULL));
      count++;
    }
  }
  schedule_store(base, count);
}
