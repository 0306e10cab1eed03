// Host-side evaluation of a lowered runtime schedule (codegen/lower/runtime.ts), for checks of
// what the device builds (tests, bench/gpu/emitted/prepare.ts): summaries from their reference
// builders, the schedule builder's rows from the lowered functions run by the IR evaluator, and
// random runtime buffers (top-k selections with padding and duplicates).
import type { Rng } from '../../src/reference/inputs.ts';
import { callFunction } from './eval.ts';
import type { LBuffer } from './ir.ts';
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

/** The builder's rows for `layer`, from the lowered envelope walk and classifier. */
export function buildRows(p: LoweredPattern, data: Buffers, bstride: Record<string, number>, B: number, layer: number): BuiltRow[][][][] {
  const rt = p.runtime!;
  const ctx = { params: Object.fromEntries(Object.entries(bstride).map(([k, v]) => [`${k}_bstride`, v])), buffers: data };
  const rows: BuiltRow[][][][] = [];
  for (let b = 0; b < B; b++) {
    rows.push([]);
    for (let h = 0; h < p.sizes.H; h++) {
      rows[b]!.push([]);
      for (let qt = 0; qt < p.numQueryTiles; qt++) {
        const args = { b, l: layer, h, qt };
        const n = callFunction(rt.envNumKeyTiles, args, ctx).value as number;
        const row: BuiltRow[] = [];
        for (let j = 0; j < n; j++) {
          const t = callFunction(rt.envKeyTile, { ...args, j }, ctx);
          const kt = t.value as number;
          const cls = t.outs.get('full') ? TILE_FULL : (callFunction(rt.classify, { ...args, kt }, ctx).value as number);
          if (cls !== TILE_EMPTY) row.push({ kt, full: cls === TILE_FULL });
        }
        rows[b]![h]!.push(row);
      }
    }
  }
  return rows;
}

/** The runtime schedule buffer holding `rows` (B entries). */
export function scheduleBuffer(p: LoweredPattern, rows: BuiltRow[][][][]): Int32Array {
  const rt = p.runtime!;
  const stride = 1 + rt.maxTiles;
  const out = new Int32Array(rows.length * rt.schedule.length).fill(-7);
  rows.forEach((perHead, b) => perHead.forEach((perQt, h) => perQt.forEach((row, qt) => {
    const base = b * rt.schedule.length + (h * p.numQueryTiles + qt) * stride;
    out[base] = row.length;
    row.forEach((e, i) => { out[base + 1 + i] = e.kt * 2 + (e.full ? 1 : 0); });
  })));
  return out;
}

export interface BuiltColumn { qt: number; full: boolean }

/**
 * The transposed builder's rows for `layer` (the backward's attnc_schedule_build_t): per (b, h, kt)
 * the query tiles kept, from the lowered transposed envelope walk and the forward's classifier.
 */
export function buildTransposedRows(p: LoweredPattern, data: Buffers, bstride: Record<string, number>, B: number, layer: number): BuiltColumn[][][][] {
  const rt = p.runtime!, bt = p.backward().runtime!;
  const buffers: Buffers = { ...data };
  for (const b of p.backward().tables) if (b.source.kind === 'table') buffers[b.name] = b.source.data; // the transposed envelope's CSR
  const ctx = { params: Object.fromEntries(Object.entries(bstride).map(([k, v]) => [`${k}_bstride`, v])), buffers };
  const rows: BuiltColumn[][][][] = [];
  for (let b = 0; b < B; b++) {
    rows.push([]);
    for (let h = 0; h < p.sizes.H; h++) {
      rows[b]!.push([]);
      for (let kt = 0; kt < p.numKeyTiles; kt++) {
        const args = { b, l: layer, h, kt };
        const n = callFunction(bt.envNumQueryTiles, args, ctx).value as number;
        const row: BuiltColumn[] = [];
        for (let j = 0; j < n; j++) {
          const t = callFunction(bt.envQueryTile, { ...args, j }, ctx);
          const qt = t.value as number;
          const cls = t.outs.get('full') ? TILE_FULL : (callFunction(rt.classify, { b, l: layer, h, qt, kt }, ctx).value as number);
          if (cls !== TILE_EMPTY) row.push({ qt, full: cls === TILE_FULL });
        }
        rows[b]![h]!.push(row);
      }
    }
  }
  return rows;
}

/** The transposed runtime schedule buffer (sched_t_rt) holding `rows` (B entries). */
export function transposedScheduleBuffer(p: LoweredPattern, rows: BuiltColumn[][][][]): Int32Array {
  const bt = p.backward().runtime!;
  const stride = 1 + bt.maxTiles;
  const out = new Int32Array(rows.length * bt.buffer.length).fill(-7);
  rows.forEach((perHead, b) => perHead.forEach((perKt, h) => perKt.forEach((row, kt) => {
    const base = b * bt.buffer.length + (h * p.numKeyTiles + kt) * stride;
    out[base] = row.length;
    row.forEach((e, i) => { out[base + 1 + i] = e.qt * 2 + (e.full ? 1 : 0); });
  })));
  return out;
}
