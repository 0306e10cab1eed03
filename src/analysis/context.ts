// Analysis stage state shared by every head, class and check of one `analyze` call: the node
// pool, compiled rectangle evaluators, random-block indexes and the per-leaf row caches. Work
// done for one head (a window leaf's runs, say) is reused by every other head that has it.
import { NodePool, type ANode } from './fold.ts';
import { compileProgram, type EvalEnv, type Program } from './interval.ts';
import { RandomBlocksIndex } from './randomIndex.ts';
import type { Runs } from './runs.ts';
import { ceilDiv } from '../reference/int.ts';

export interface TileShape { bq: number; bk: number }

export interface ContextOptions {
  /** Rectangle evaluations allowed when refining one undecided tile. */
  tileBudget?: number;
  /** Rectangle evaluations allowed for refinement in one classification. */
  totalBudget?: number;
}

export class AnalysisContext {
  readonly pool = new NodePool();
  readonly nqt: number;
  readonly nkt: number;
  readonly env: EvalEnv;
  readonly tileBudget: number;
  readonly totalBudget: number;
  private readonly programs = new Map<number, Program>();
  private readonly randoms = new Map<string, RandomBlocksIndex>();
  /** Per leaf: a shared run list (k-only leaves) or per-row run lists. */
  readonly kRuns = new Map<number, Runs>();
  readonly rowRuns = new Map<number, Array<Runs | undefined>>();
  /** Evaluations spent (for reports). */
  evals = 0;

  constructor(readonly Nq: number, readonly Nk: number, readonly tile: TileShape, opts: ContextOptions = {}) {
    this.nqt = ceilDiv(Nq, tile.bq);
    this.nkt = ceilDiv(Nk, tile.bk);
    this.tileBudget = opts.tileBudget ?? 4096;
    this.totalBudget = opts.totalBudget ?? 4_000_000;
    this.env = { pool: this.pool, Nq, Nk, random: (n) => this.randomIndex(n) };
  }

  program(root: number): Program {
    let p = this.programs.get(root);
    if (!p) {
      const inner = compileProgram(this.env, root);
      const self = this;
      p = {
        root,
        rootSrc: inner.rootSrc,
        eval(q0, q1, k0, k1) { self.evals++; return inner.eval(q0, q1, k0, k1); },
      };
      this.programs.set(root, p);
    }
    return p;
  }

  randomIndex(n: Extract<ANode, { kind: 'random' }>): RandomBlocksIndex {
    const key = `${n.r},${n.block},${n.seed},${n.causal}`;
    let idx = this.randoms.get(key);
    if (!idx) {
      idx = new RandomBlocksIndex({ r: n.r, block: n.block, seed: n.seed, causal: n.causal }, this.Nq, this.Nk);
      this.randoms.set(key, idx);
    }
    return idx;
  }

  /** Inclusive query range of query tile qt. */
  qRange(qt: number): [number, number] {
    const q0 = qt * this.tile.bq;
    return [q0, Math.min(this.Nq, q0 + this.tile.bq) - 1];
  }

  kRange(kt: number): [number, number] {
    const k0 = kt * this.tile.bk;
    return [k0, Math.min(this.Nk, k0 + this.tile.bk) - 1];
  }
}
