// Analysis helper: BigBird random key blocks (algorithm in src/reference/random.ts, the single
// implementation; a union of several seeds' draws) indexed per query block as sorted lists, so
// that a rectangle of blocks is classified by counting chosen pairs instead of visiting elements.
// Every query block's list is built in one pass into one flat table (first use): a head's draw is
// read for every query block anyway, and one table instead of a small array per block keeps the
// allocations (and the garbage collector) out of the per-row loops.
import { randomBlocksChosen } from '../reference/random.ts';
import { ceilDiv } from '../reference/int.ts';
import type { BoolVal } from './interval.ts';

/** First index i in [lo, hi) with l[i] >= x (l sorted). */
function lowerBound(l: Int32Array, lo: number, hi: number, x: number): number {
  while (lo < hi) { const m = (lo + hi) >> 1; if (l[m]! < x) lo = m + 1; else hi = m; }
  return lo;
}

/** Sort l[a, b) ascending and drop duplicates in place; returns the new end. */
function sortUnique(l: Int32Array, a: number, b: number): number {
  if (b - a > 32) l.subarray(a, b).sort();
  else {
    for (let i = a + 1; i < b; i++) {
      const x = l[i]!;
      let j = i - 1;
      while (j >= a && l[j]! > x) { l[j + 1] = l[j]!; j--; }
      l[j + 1] = x;
    }
  }
  let n = a;
  for (let i = a; i < b; i++) if (i === a || l[i] !== l[n - 1]) l[n++] = l[i]!;
  return n;
}

export class RandomBlocksIndex {
  readonly nqb: number;
  readonly nkb: number;
  /** Chosen key blocks of query block qb, sorted, no duplicates: flat[off[qb] .. off[qb + 1]). */
  private flat: Int32Array | null = null;
  private off: Int32Array | null = null;

  constructor(
    readonly spec: { r: number; block: number; seeds: number[]; causal: boolean },
    readonly Nq: number,
    readonly Nk: number,
    /** Indexes of the single seeds, when this is a union (their tables are reused). */
    private readonly parts: RandomBlocksIndex[] = [],
  ) {
    this.nqb = ceilDiv(Nq, spec.block);
    this.nkb = ceilDiv(Nk, spec.block);
  }

  /** The flat table and its per-query-block offsets (built on first use). */
  table(): { flat: Int32Array; off: Int32Array } {
    if (!this.flat) this.build();
    return { flat: this.flat!, off: this.off! };
  }

  private build(): void {
    const { r, block, causal, seeds } = this.spec;
    const nqb = this.nqb;
    const off = new Int32Array(nqb + 1);
    const sources = this.parts.length ? this.parts.map((p) => p.table()) : [];
    // every seed draws at most r blocks per query block
    let flat = new Int32Array(Math.max(1, nqb * Math.min(r, this.nkb) * (sources.length || seeds.length)));
    let n = 0;
    for (let qb = 0; qb < nqb; qb++) {
      off[qb] = n;
      const start = n;
      if (sources.length) {
        for (const s of sources) for (let i = s.off[qb]!; i < s.off[qb + 1]!; i++) flat[n++] = s.flat[i]!;
      } else {
        for (const seed of seeds) {
          const c = randomBlocksChosen({ r, block, seed, causal }, qb, this.Nk);
          if (n + c.length > flat.length) { const g = new Int32Array(flat.length * 2 + c.length); g.set(flat); flat = g; }
          for (let i = 0; i < c.length; i++) flat[n++] = c[i]!;
        }
      }
      n = sortUnique(flat, start, n);
    }
    off[nqb] = n;
    this.flat = flat;
    this.off = off;
  }

  /** Sorted chosen key blocks of query block qb (union over the seeds, no duplicates). */
  chosen(qb: number): Int32Array {
    const { flat, off } = this.table();
    return flat.subarray(off[qb]!, off[qb + 1]!);
  }

  /** Index range [i0, i1) of the chosen key blocks of qb within [kb0, kb1], as offsets into chosen(qb). */
  rangeIn(qb: number, kb0: number, kb1: number): [number, number] {
    const { flat, off } = this.table();
    const a = off[qb]!, b = off[qb + 1]!;
    return [lowerBound(flat, a, b, kb0) - a, lowerBound(flat, a, b, kb1 + 1) - a];
  }

  /** Number of chosen key blocks of qb within [kb0, kb1]. */
  countIn(qb: number, kb0: number, kb1: number): number {
    const [i0, i1] = this.rangeIn(qb, kb0, kb1);
    return i1 - i0;
  }

  /** Value over the block rectangle [qb0, qb1] x [kb0, kb1] (every block has an in-range element). */
  classify(qb0: number, qb1: number, kb0: number, kb1: number): BoolVal {
    if (qb1 - qb0 > 256) return 3;
    const { flat, off } = this.table();
    let hits = 0;
    for (let qb = qb0; qb <= qb1; qb++) {
      const a = off[qb]!, b = off[qb + 1]!;
      hits += lowerBound(flat, a, b, kb1 + 1) - lowerBound(flat, a, b, kb0);
    }
    if (hits === 0) return 0;
    return hits === (qb1 - qb0 + 1) * (kb1 - kb0 + 1) ? 1 : 2;
  }
}
