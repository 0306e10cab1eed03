// Analysis stage state shared by every head, class and check of one `analyze` call: the node
// pool, compiled rectangle evaluators, random-block indexes and the per-leaf row caches. Work
// done for one head (a window leaf's runs, say) is reused by every other head that has it.
import { DEP_K, DEP_Q, NodePool, type ANode } from './fold.ts';
import { compileProgram, type EvalEnv, type Program } from './interval.ts';
import { RandomBlocksIndex } from './randomIndex.ts';
import { tileSummary, type KTileRuns, type Profile, type TileSummary } from './leaves.ts';
import { ceilDiv } from '../reference/int.ts';
import { leafCount } from './refine.ts';
import type { CountPlan } from './count.ts';

export interface TileShape { bq: number; bk: number }

export interface ContextOptions {
  /** Rectangle evaluations allowed when refining one undecided tile. */
  tileBudget?: number;
  /** Rectangle evaluations allowed for refinement in one classification. */
  totalBudget?: number;
  /** Random-block indexes to share (another context over the same Nq, Nk: the draws do not depend on the tile). */
  randomIndexes?: Map<string, RandomBlocksIndex>;
}

export class AnalysisContext {
  readonly pool = new NodePool();
  readonly nqt: number;
  readonly nkt: number;
  readonly env: EvalEnv;
  readonly tileBudget: number;
  readonly totalBudget: number;
  private readonly programs = new Map<number, Program>();
  private readonly randoms = new WeakMap<ANode, RandomBlocksIndex>();
  /** Random-block indexes by shape and seeds (shared with contexts made with `randomIndexes`). */
  readonly randomIndexes: Map<string, RandomBlocksIndex>;
  /** Per one-variable leaf: its exact element profile and per-tile summary. */
  readonly kProfiles = new Map<number, Profile>();
  readonly qProfiles = new Map<number, Profile>();
  readonly kTiles = new Map<number, TileSummary>();
  readonly qTiles = new Map<number, TileSummary>();
  readonly kTileRuns = new Map<number, KTileRuns>();
  /** Per two-variable leaf, per query tile: runs of key tiles as quads [t0, t1, value, count of a MIXED tile or NaN]. */
  readonly rowRuns = new Map<number, Array<number[] | undefined>>();
  /** Classifications per root (classify.ts). */
  readonly classifications = new Map<number, unknown>();
  /** Single-tile classifiers per root (classify.ts probeTile). */
  readonly probes = new Map<number, unknown>();
  /** Row-wise counting plans per root (count.ts). */
  readonly countPlans = new Map<number, CountPlan | null>();
  /** Evaluations spent (for reports). */
  evals = 0;
  /** Capacity hint for tile-map builders: runs of the last classification. */
  runsHint = 1024;

  constructor(readonly Nq: number, readonly Nk: number, readonly tile: TileShape, opts: ContextOptions = {}) {
    this.nqt = ceilDiv(Nq, tile.bq);
    this.nkt = ceilDiv(Nk, tile.bk);
    this.tileBudget = opts.tileBudget ?? 4096;
    this.totalBudget = opts.totalBudget ?? 4_000_000;
    this.randomIndexes = opts.randomIndexes ?? new Map();
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
    let idx = this.randoms.get(n);
    if (!idx) {
      const key = `${this.Nq},${this.Nk},${n.r},${n.block},${n.causal},${n.seeds.join('+')}`;
      idx = this.randomIndexes.get(key);
    }
    if (!idx) {
      const key = `${this.Nq},${this.Nk},${n.r},${n.block},${n.causal},${n.seeds.join('+')}`;
      const parts = n.seeds.length > 1
        ? n.seeds.map((seed) => this.randomIndex(this.pool.nodes[this.pool.intern({ ...n, seeds: [seed] })] as typeof n))
        : [];
      idx = new RandomBlocksIndex({ r: n.r, block: n.block, seeds: n.seeds, causal: n.causal }, this.Nq, this.Nk, parts);
      this.randomIndexes.set(key, idx);
    }
    if (this.randoms.get(n) !== idx) this.randoms.set(n, idx);
    return idx;
  }

  /** Allowed elements of leaf `src` (see refine.ts) on tile (qt, kt), memoised: leaves are shared by heads. */
  tileLeafCount(src: number, qt: number, kt: number): number | undefined {
    const id = src >> 1;
    const dep = this.pool.dep[id]!;
    if (dep !== (DEP_Q | DEP_K)) {
      const rows = Math.min(this.Nq, qt * this.tile.bq + this.tile.bq) - qt * this.tile.bq;
      const cols = Math.min(this.Nk, kt * this.tile.bk + this.tile.bk) - kt * this.tile.bk;
      const c = dep & DEP_Q ? tileSummary(this, id, 'q').count[qt]! * cols : tileSummary(this, id, 'k').count[kt]! * rows;
      return src & 1 ? rows * cols - c : c;
    }
    // two-variable leaves: memoised next to the leaf's row runs ([t0, t1, value, count] quads)
    const quads = this.rowRuns.get(id)?.[qt];
    if (!quads) return leafCount(this, src, ...this.qRange(qt), ...this.kRange(kt));
    let lo = 0, hi = quads.length / 4;
    while (lo < hi) { const m = (lo + hi) >> 1; if (quads[m * 4 + 1]! <= kt) lo = m + 1; else hi = m; }
    const i = lo * 4;
    if (quads[i]! !== kt || quads[i + 1]! !== kt + 1) return leafCount(this, src, ...this.qRange(qt), ...this.kRange(kt));
    let c: number | undefined = quads[i + 3]!;
    if (Number.isNaN(c)) {
      c = leafCount(this, id * 2, ...this.qRange(qt), ...this.kRange(kt));
      if (c === undefined) return undefined;
      quads[i + 3] = c;
    }
    if (src & 1) c = (Math.min(this.Nq, qt * this.tile.bq + this.tile.bq) - qt * this.tile.bq) * (Math.min(this.Nk, kt * this.tile.bk + this.tile.bk) - kt * this.tile.bk) - c;
    return c;
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
