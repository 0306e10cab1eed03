// Hand-written pattern preludes for the WGSL skeleton (what the emitter will produce), each
// with the element mask and score modifier the float64 reference applies. Three schedule
// styles: closed-form dense causal, closed-form sliding window with a score_mod, CSR tables.
import type { AttentionTiles } from '../../../codegen/wgsl/runtime/attention_fwd.ts';
import type { PatternBuffer } from '../../../src/webgpu/attention.ts';
import type { AttentionProblem, ElementMask, ScoreMod } from './reference.ts';

export interface TestPattern {
  name: string;
  prelude: string;
  allowed: ElementMask;
  scoreMod?: ScoreMod;
  buffers?: PatternBuffer[];
}

function tileConstants(t: AttentionTiles): string {
  return [
    `const BLOCK_M: u32 = ${t.blockM}u;`,
    `const BLOCK_N: u32 = ${t.blockN}u;`,
    `const HEAD_DIM: u32 = ${t.headDim}u;`,
  ].join('\n');
}

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/** k <= q. Key tiles 0..(last row of the query tile)/BLOCK_N; FULL below the diagonal. */
export function denseCausal(t: AttentionTiles): TestPattern {
  const prelude = `${tileConstants(t)}

fn num_key_tiles(b: u32, l: u32, h: u32, qt: u32) -> u32 {
  let last_q = min((qt + 1u) * BLOCK_M, params.q_len) - 1u;
  return min(last_q / BLOCK_N + 1u, (params.k_len + BLOCK_N - 1u) / BLOCK_N);
}

fn key_tile(b: u32, l: u32, h: u32, qt: u32, j: u32, full: ptr<function, bool>) -> u32 {
  *full = (j + 1u) * BLOCK_N <= qt * BLOCK_M + 1u;   // last key of tile j <= first query row
  return j;
}

fn mask(b: u32, l: u32, h: u32, q: u32, k: u32) -> bool {
  return k <= q;
}

fn score_mod(s: f32, b: u32, l: u32, h: u32, q: u32, k: u32) -> f32 {
  return s;
}
`;
  return { name: 'dense causal', prelude, allowed: (_b, _l, _h, q, k) => k <= q };
}

/** q - window < k <= q, with an ALiBi-like bias s - 2^-(h+1) * (q - k). */
export function slidingWindow(t: AttentionTiles, window: number): TestPattern {
  const prelude = `${tileConstants(t)}
const WINDOW: u32 = ${window}u;

fn first_key_tile(qt: u32) -> u32 {
  let q0 = qt * BLOCK_M;
  return select(0u, q0 + 1u - WINDOW, q0 + 1u > WINDOW) / BLOCK_N;
}

fn num_key_tiles(b: u32, l: u32, h: u32, qt: u32) -> u32 {
  let last_q = min((qt + 1u) * BLOCK_M, params.q_len) - 1u;
  let first = first_key_tile(qt);
  if (params.k_len == 0u || first * BLOCK_N >= params.k_len) {
    return 0u;
  }
  let last = min(last_q, params.k_len - 1u) / BLOCK_N;
  return last + 1u - first;
}

fn key_tile(b: u32, l: u32, h: u32, qt: u32, j: u32, full: ptr<function, bool>) -> u32 {
  let kt = first_key_tile(qt) + j;
  let q0 = qt * BLOCK_M;
  let q1 = min(q0 + BLOCK_M, params.q_len) - 1u;
  let k0 = kt * BLOCK_N;
  let k1 = min(k0 + BLOCK_N, params.k_len) - 1u;
  *full = k1 <= q0 && q1 - k0 < WINDOW;
  return kt;
}

fn mask(b: u32, l: u32, h: u32, q: u32, k: u32) -> bool {
  return k <= q && q - k < WINDOW;
}

fn score_mod(s: f32, b: u32, l: u32, h: u32, q: u32, k: u32) -> f32 {
  return s - exp2(-f32(h + 1u)) * f32(q - k);
}
`;
  return {
    name: `sliding window ${window}`,
    prelude,
    allowed: (_b, _l, _h, q, k) => k <= q && q - k < window,
    scoreMod: (s, _b, _l, h, q, k) => s - 2 ** -(h + 1) * (q - k),
  };
}

const TILE_EMPTY = 0;
const TILE_PARTIAL = 1;
const TILE_FULL = 2;

/** The element mask of PARTIAL tiles in the CSR pattern; row q % 23 == 5 is never allowed there. */
const csrElementMask = (h: number, q: number, k: number) => ((q ^ k) + h) % 3 !== 0 && q % 23 !== 5;

/**
 * A random block-sparse pattern for `layers` layers, scheduled through CSR tables
 * (offsets, indices, full flags) in storage buffers, visited in shuffled order. Query tile
 * 0 has no FULL tile (so row 5 is empty), and query tile 1 of head 0 has no tile at all.
 */
export function csrTables(t: AttentionTiles, p: AttentionProblem, layers: number, random: () => number): TestPattern {
  const qTiles = ceilDiv(p.qLen, t.blockM);
  const kTiles = ceilDiv(p.kLen, t.blockN);
  const classes = new Uint8Array(layers * p.heads * qTiles * kTiles);
  const classOf = (l: number, h: number, qt: number, kt: number) => classes[((l * p.heads + h) * qTiles + qt) * kTiles + kt]!;
  const offsets = [0];
  const indices: number[] = [];
  const full: number[] = [];
  for (let l = 0; l < layers; l++) {
    for (let h = 0; h < p.heads; h++) {
      for (let qt = 0; qt < qTiles; qt++) {
        const row: number[] = [];
        for (let kt = 0; kt < kTiles; kt++) {
          let c = [TILE_EMPTY, TILE_PARTIAL, TILE_FULL][Math.floor(random() * 3)]!;
          if (qt === 0 && c === TILE_FULL) c = TILE_PARTIAL;
          if (qt === 1 && h === 0 && qTiles > 2) c = TILE_EMPTY;
          classes[((l * p.heads + h) * qTiles + qt) * kTiles + kt] = c;
          if (c !== TILE_EMPTY) row.push(kt);
        }
        for (let i = row.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [row[i], row[j]] = [row[j]!, row[i]!];
        }
        for (const kt of row) {
          indices.push(kt);
          full.push(classOf(l, h, qt, kt) === TILE_FULL ? 1 : 0);
        }
        offsets.push(indices.length);
      }
    }
  }
  // WebGPU rejects zero-sized bindings: keep one unused entry in empty tables.
  if (indices.length === 0) {
    indices.push(0);
    full.push(0);
  }
  const prelude = `${tileConstants(t)}

@group(1) @binding(0) var<storage, read> tile_offsets: array<u32>;
@group(1) @binding(1) var<storage, read> tile_indices: array<u32>;
@group(1) @binding(2) var<storage, read> tile_full: array<u32>;

fn schedule_row(l: u32, h: u32, qt: u32) -> u32 {
  return (l * params.heads + h) * ((params.q_len + BLOCK_M - 1u) / BLOCK_M) + qt;
}

fn num_key_tiles(b: u32, l: u32, h: u32, qt: u32) -> u32 {
  let r = schedule_row(l, h, qt);
  return tile_offsets[r + 1u] - tile_offsets[r];
}

fn key_tile(b: u32, l: u32, h: u32, qt: u32, j: u32, full: ptr<function, bool>) -> u32 {
  let i = tile_offsets[schedule_row(l, h, qt)] + j;
  *full = tile_full[i] != 0u;
  return tile_indices[i];
}

fn mask(b: u32, l: u32, h: u32, q: u32, k: u32) -> bool {
  return ((q ^ k) + h) % 3u != 0u && q % 23u != 5u;
}

fn score_mod(s: f32, b: u32, l: u32, h: u32, q: u32, k: u32) -> f32 {
  return s;
}
`;
  return {
    name: 'CSR block-sparse',
    prelude,
    allowed: (_b, l, h, q, k) => {
      const c = classOf(l, h, Math.floor(q / t.blockM), Math.floor(k / t.blockN));
      return c === TILE_FULL || (c === TILE_PARTIAL && csrElementMask(h, q, k));
    },
    buffers: [
      { name: 'tile_offsets', binding: 0, kind: 'read-only-storage', bytes: Uint32Array.from(offsets) },
      { name: 'tile_indices', binding: 1, kind: 'read-only-storage', bytes: Uint32Array.from(indices) },
      { name: 'tile_full', binding: 2, kind: 'read-only-storage', bytes: Uint32Array.from(full) },
    ],
  };
}
