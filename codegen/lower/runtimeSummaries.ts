// Per-tile summaries of runtime buffers, built on the device by small helper kernels before the
// schedule builder runs (docs/wgsl-kernel.md, "Runtime schedules"): min / max of an input per
// row and tile of positions, and sorted duplicate-free copies of index lists (membership lists,
// top-k selections) so that "is any / is every value of [lo, hi] listed" is two binary searches.
// The reference builders here define the helpers' results (tests compare the device's with them).
import type { LBuffer } from './ir.ts';

/** Padding of sorted lists: above every listed value, so binary searches stop before it. */
export const SORTED_PAD = 2147483647;

export type SummaryStep =
  | { kind: 'tile_minmax'; buffer: LBuffer; of: LBuffer; rows: number; n: number; tile: number; tiles: number }
  | { kind: 'sorted_list'; buffer: LBuffer; of: LBuffer; rows: number; n: number };

/** The summaries one classifier reads, created on first use (one per buffer and tile size). */
export class SummaryRegistry {
  readonly steps: SummaryStep[] = [];
  private byKey = new Map<string, SummaryStep>();

  private add(key: string, make: (i: number) => SummaryStep): SummaryStep {
    let s = this.byKey.get(key);
    if (!s) {
      s = make(this.steps.length);
      this.steps.push(s);
      this.byKey.set(key, s);
    }
    return s;
  }

  /** min, max of `of` per row (its leading dimensions) and tile of `tile` positions of its last. */
  tileMinMax(of: LBuffer, tile: number): Extract<SummaryStep, { kind: 'tile_minmax' }> {
    const n = of.shape[of.shape.length - 1]!;
    const rows = of.length / n;
    const tiles = Math.ceil(n / tile);
    return this.add(`mm:${of.name}:${tile}`, (i) => ({
      kind: 'tile_minmax', of, rows, n, tile, tiles,
      buffer: {
        name: `sum${i}_${of.name}_t${tile}`, elem: 'int', length: rows * tiles * 2, shape: [rows, tiles, 2],
        source: { kind: 'tile_minmax', of: of.name, rows, n, tile }, batched: true,
      },
    })) as Extract<SummaryStep, { kind: 'tile_minmax' }>;
  }

  /** Per row of `of`: its distinct non-negative entries ascending, then SORTED_PAD. */
  sortedList(of: LBuffer): Extract<SummaryStep, { kind: 'sorted_list' }> {
    const n = of.shape[of.shape.length - 1]!;
    const rows = of.length / n;
    return this.add(`sl:${of.name}`, (i) => ({
      kind: 'sorted_list', of, rows, n,
      buffer: {
        name: `sum${i}_${of.name}_sorted`, elem: 'int', length: rows * n, shape: [...of.shape],
        source: { kind: 'sorted_list', of: of.name, rows, n }, batched: true,
      },
    })) as Extract<SummaryStep, { kind: 'sorted_list' }>;
  }
}

/** Reference of one summary over `batches` entries of `src` (row-major [batches][rows][n]). */
export function summaryReference(step: SummaryStep, src: ArrayLike<number>, batches: number): Int32Array {
  const { rows, n } = step;
  if (step.kind === 'tile_minmax') {
    const out = new Int32Array(batches * rows * step.tiles * 2);
    for (let r = 0; r < batches * rows; r++) {
      for (let t = 0; t < step.tiles; t++) {
        let lo = SORTED_PAD, hi = -SORTED_PAD - 1;
        for (let i = t * step.tile; i < Math.min(n, (t + 1) * step.tile); i++) {
          const v = src[r * n + i]! | 0;
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        out[(r * step.tiles + t) * 2] = lo;
        out[(r * step.tiles + t) * 2 + 1] = hi;
      }
    }
    return out;
  }
  const out = new Int32Array(batches * rows * n).fill(SORTED_PAD);
  for (let r = 0; r < batches * rows; r++) {
    const values = new Set<number>();
    for (let i = 0; i < n; i++) if ((src[r * n + i]! | 0) >= 0) values.add(src[r * n + i]! | 0);
    [...values].sort((a, b) => a - b).forEach((v, i) => { out[r * n + i] = v; });
  }
  return out;
}
