// Host-side evaluation of a lowered runtime schedule (codegen/lower/runtime.ts), for checks of
// what the device builds (tests, bench/gpu/emitted/prepare.ts): summaries from their reference
// builders, the schedule builder's rows from the lowered functions run by the IR evaluator, and
// random runtime buffers (top-k selections with padding and duplicates).
import type { Rng } from '../../src/reference/inputs.ts';
import { callFunction } from './eval.ts';
import type { LBuffer, LFunction } from './ir.ts';
import type { LoweredPattern } from './pattern.ts';
import { TILE_EMPTY, TILE_FULL } from './runtimeClassify.ts';
import { summaryReference } from './runtimeSummaries.ts';

export type Buffers = Record<string, ArrayLike<number>>;

/** Static tables of the pattern plus the given runtime data (B entries each, or 1 to broadcast). */
export function staticBuffers(p: LoweredPattern): Buffers {
  const out: Buffers = {};
  for (const b of p.buffers) if (b.source.kind === 'table' || b.source.kind === 'random_blocks') out[b.name] = b.source.data;
  return out;
}

/** Random top-k rows: values in [-1, nkb) (duplicates and padding included), causal or not. */
export function randomTopk(b: LBuffer, B: number, rng: Rng, nkb: number, causal: boolean): Int32Array {
  if (b.source.kind !== 'topk_blocks') throw new Error('not a top-k buffer');
  const [, nqb, k] = b.shape as [number, number, number];
  const out = new Int32Array(B * b.length);
  for (let r = 0; r < out.length / k; r++) {
    const qb = r % nqb;
    const hiKb = causal ? Math.min(qb, nkb - 1) : nkb - 1;
    for (let i = 0; i < k; i++) out[r * k + i] = rng.next() < 0.2 ? -1 : rng.int(0, hiKb);
  }
  return out;
}

/** Summaries of every runtime step, from `data` (B entries, or 1 when bstride is 0). */
export function withSummaries(p: LoweredPattern, data: Buffers, bstride: Record<string, number>, B: number): { data: Buffers; bstride: Record<string, number> } {
  const d = { ...data }, s = { ...bstride };
  for (const step of p.runtime?.summaries ?? []) {
    const batches = s[step.of.name] === 0 ? 1 : B;
    d[step.buffer.name] = summaryReference(step, d[step.of.name]!, batches);
    s[step.buffer.name] = batches === 1 ? 0 : step.buffer.length;
  }
  return { data: d, bstride: s };
}

export interface BuiltRow { kt: number; full: boolean }
export interface BuiltColumn { qt: number; full: boolean }

type Ctx = { params: Record<string, number>; buffers: Buffers };
type Walk = { count: LFunction; tile: LFunction; rowVar: 'qt' | 'kt'; rows: number };

/**
 * What a schedule builder keeps, per (b, h, row): the envelope walk of `walk` (rows query tiles,
 * or key tiles for the transposed schedule), each non-FULL tile classified by `classify(qt, kt)`.
 */
function walkEnvelope(p: LoweredPattern, ctx: Ctx, B: number, layer: number, walk: Walk): { t: number; full: boolean }[][][][] {
  const classify = p.runtime!.classify;
  const out: { t: number; full: boolean }[][][][] = [];
  for (let b = 0; b < B; b++) {
    out.push([]);
    for (let h = 0; h < p.sizes.H; h++) {
      out[b]!.push([]);
      for (let r = 0; r < walk.rows; r++) {
        const args = { b, l: layer, h, [walk.rowVar]: r };
        const n = callFunction(walk.count, args, ctx).value as number;
        const row: { t: number; full: boolean }[] = [];
        for (let j = 0; j < n; j++) {
          const e = callFunction(walk.tile, { ...args, j }, ctx);
          const t = e.value as number;
          const [qt, kt] = walk.rowVar === 'qt' ? [r, t] : [t, r];
          const cls = e.outs.get('full') ? TILE_FULL : (callFunction(classify, { b, l: layer, h, qt, kt }, ctx).value as number);
          if (cls !== TILE_EMPTY) row.push({ t, full: cls === TILE_FULL });
        }
        out[b]![h]!.push(row);
      }
    }
  }
  return out;
}

/** A built schedule buffer: per batch entry `length` ints, per (h, row) a count then t * 2 + full. */
function packRows(rows: { t: number; full: boolean }[][][][], length: number, rowsPerHead: number, stride: number): Int32Array {
  const out = new Int32Array(rows.length * length).fill(-7);
  rows.forEach((perHead, b) => perHead.forEach((perRow, h) => perRow.forEach((row, r) => {
    const base = b * length + (h * rowsPerHead + r) * stride;
    out[base] = row.length;
    row.forEach((e, i) => { out[base + 1 + i] = e.t * 2 + (e.full ? 1 : 0); });
  })));
  return out;
}

const contextOf = (data: Buffers, bstride: Record<string, number>): Ctx =>
  ({ params: Object.fromEntries(Object.entries(bstride).map(([k, v]) => [`${k}_bstride`, v])), buffers: data });

/** The builder's rows for `layer`, from the lowered envelope walk and classifier. */
export function buildRows(p: LoweredPattern, data: Buffers, bstride: Record<string, number>, B: number, layer: number): BuiltRow[][][][] {
  const rt = p.runtime!;
  const rows = walkEnvelope(p, contextOf(data, bstride), B, layer, { count: rt.envNumKeyTiles, tile: rt.envKeyTile, rowVar: 'qt', rows: p.numQueryTiles });
  return rows.map((x) => x.map((y) => y.map((row) => row.map((e) => ({ kt: e.t, full: e.full })))));
}

/** The runtime schedule buffer holding `rows` (B entries). */
export function scheduleBuffer(p: LoweredPattern, rows: BuiltRow[][][][]): Int32Array {
  const rt = p.runtime!;
  return packRows(rows.map((x) => x.map((y) => y.map((row) => row.map((e) => ({ t: e.kt, full: e.full }))))), rt.schedule.length, p.numQueryTiles, 1 + rt.maxTiles);
}

/**
 * The transposed builder's rows for `layer` (the backward's attnc_schedule_build_t): per (b, h, kt)
 * the query tiles kept, from the lowered transposed envelope walk and the forward's classifier.
 */
export function buildTransposedRows(p: LoweredPattern, data: Buffers, bstride: Record<string, number>, B: number, layer: number): BuiltColumn[][][][] {
  const bt = p.backward().runtime!;
  const buffers: Buffers = { ...data };
  for (const b of p.backward().tables) if (b.source.kind === 'table') buffers[b.name] = b.source.data; // the transposed envelope's CSR
  const rows = walkEnvelope(p, contextOf(buffers, bstride), B, layer, { count: bt.envNumQueryTiles, tile: bt.envQueryTile, rowVar: 'kt', rows: p.numKeyTiles });
  return rows.map((x) => x.map((y) => y.map((row) => row.map((e) => ({ qt: e.t, full: e.full })))));
}

/** The transposed runtime schedule buffer (sched_t_rt) holding `rows` (B entries). */
export function transposedScheduleBuffer(p: LoweredPattern, rows: BuiltColumn[][][][]): Int32Array {
  const bt = p.backward().runtime!;
  return packRows(rows.map((x) => x.map((y) => y.map((row) => row.map((e) => ({ t: e.qt, full: e.full }))))), bt.buffer.length, p.numKeyTiles, 1 + bt.maxTiles);
}
