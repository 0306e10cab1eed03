// Analysis helper: BigBird random key blocks (algorithm in src/reference/random.ts, the single
// implementation) indexed per query block as sorted lists, so that a rectangle of blocks is
// classified by counting chosen pairs instead of visiting elements.
import { randomBlocksChosen } from '../reference/random.ts';
import { ceilDiv } from '../reference/int.ts';
import type { BoolVal } from './interval.ts';

export class RandomBlocksIndex {
  readonly nqb: number;
  readonly nkb: number;
  private readonly lists: Array<Int32Array | undefined>;

  constructor(
    readonly spec: { r: number; block: number; seed: number; causal: boolean },
    readonly Nq: number,
    readonly Nk: number,
  ) {
    this.nqb = ceilDiv(Nq, spec.block);
    this.nkb = ceilDiv(Nk, spec.block);
    this.lists = new Array(this.nqb);
  }

  /** Sorted chosen key blocks of query block qb. */
  chosen(qb: number): Int32Array {
    let l = this.lists[qb];
    if (!l) {
      l = Int32Array.from(randomBlocksChosen(this.spec, qb, this.Nk)).sort();
      this.lists[qb] = l;
    }
    return l;
  }

  /** Number of chosen key blocks of qb within [kb0, kb1]. */
  countIn(qb: number, kb0: number, kb1: number): number {
    const l = this.chosen(qb);
    let c = 0;
    for (let i = 0; i < l.length; i++) if (l[i]! >= kb0 && l[i]! <= kb1) c++;
    return c;
  }

  /** Value over the block rectangle [qb0, qb1] x [kb0, kb1] (every block has an in-range element). */
  classify(qb0: number, qb1: number, kb0: number, kb1: number): BoolVal {
    if (qb1 - qb0 > 256) return 3;
    let hits = 0;
    for (let qb = qb0; qb <= qb1; qb++) hits += this.countIn(qb, kb0, kb1);
    if (hits === 0) return 0;
    return hits === (qb1 - qb0 + 1) * (kb1 - kb0 + 1) ? 1 : 2;
  }
}
