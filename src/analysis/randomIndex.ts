// Analysis helper: BigBird random key blocks (algorithm in src/reference/random.ts, the single
// implementation; a union of several seeds' draws) indexed per query block as sorted lists, so that a rectangle of blocks is
// classified by counting chosen pairs instead of visiting elements.
import { randomBlocksChosen } from '../reference/random.ts';
import { ceilDiv } from '../reference/int.ts';
import type { BoolVal } from './interval.ts';

/** First index i with l[i] >= x (l sorted). */
function lowerBound(l: Int32Array, x: number): number {
  let lo = 0, hi = l.length;
  while (lo < hi) { const m = (lo + hi) >> 1; if (l[m]! < x) lo = m + 1; else hi = m; }
  return lo;
}

export class RandomBlocksIndex {
  readonly nqb: number;
  readonly nkb: number;
  private readonly lists: Array<Int32Array | undefined>;

  constructor(
    readonly spec: { r: number; block: number; seeds: number[]; causal: boolean },
    readonly Nq: number,
    readonly Nk: number,
    /** Indexes of the single seeds, when this is a union (their lists are reused). */
    private readonly parts: RandomBlocksIndex[] = [],
  ) {
    this.nqb = ceilDiv(Nq, spec.block);
    this.nkb = ceilDiv(Nk, spec.block);
    this.lists = new Array(this.nqb);
  }

  /** Sorted chosen key blocks of query block qb (union over the seeds, no duplicates). */
  chosen(qb: number): Int32Array {
    let l = this.lists[qb];
    if (!l) {
      const { r, block, causal } = this.spec;
      let all: Int32Array;
      if (this.parts.length) {
        let n = 0;
        for (const p of this.parts) n += p.chosen(qb).length;
        all = new Int32Array(n);
        n = 0;
        for (const p of this.parts) { const c = p.chosen(qb); all.set(c, n); n += c.length; }
      } else if (this.spec.seeds.length === 1) {
        all = Int32Array.from(randomBlocksChosen({ r, block, seed: this.spec.seeds[0]!, causal }, qb, this.Nk));
      } else {
        const xs: number[] = [];
        for (const seed of this.spec.seeds) for (const kb of randomBlocksChosen({ r, block, seed, causal }, qb, this.Nk)) xs.push(kb);
        all = Int32Array.from(xs);
      }
      all.sort();
      let n = 0;
      for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[n - 1]) all[n++] = all[i]!;
      l = n === all.length ? all : all.slice(0, n);
      this.lists[qb] = l;
    }
    return l;
  }

  /** Index range [i0, i1) of the chosen key blocks of qb within [kb0, kb1]. */
  rangeIn(qb: number, kb0: number, kb1: number): [number, number] {
    const l = this.chosen(qb);
    return [lowerBound(l, kb0), lowerBound(l, kb1 + 1)];
  }

  /** Number of chosen key blocks of qb within [kb0, kb1]. */
  countIn(qb: number, kb0: number, kb1: number): number {
    const [i0, i1] = this.rangeIn(qb, kb0, kb1);
    return i1 - i0;
  }

  /** Value over the block rectangle [qb0, qb1] x [kb0, kb1] (every block has an in-range element). */
  classify(qb0: number, qb1: number, kb0: number, kb1: number): BoolVal {
    if (qb1 - qb0 > 256) return 3;
    let hits = 0;
    for (let qb = qb0; qb <= qb1; qb++) {
      const l = this.chosen(qb);
      hits += lowerBound(l, kb1 + 1) - lowerBound(l, kb0);
    }
    if (hits === 0) return 0;
    return hits === (qb1 - qb0 + 1) * (kb1 - kb0 + 1) ? 1 : 2;
  }
}
