// Brute-force oracle for analysis tests: the element-wise reference mask tabulated per tile.
import type { IrProgram, Sizes } from '../../src/ir/schema.ts';
import { evalMask } from '../../src/reference/index.ts';
import { AnalysisContext, type TileShape } from '../../src/analysis/context.ts';
import { instantiate } from '../../src/analysis/fold.ts';
import { classify, type Classification } from '../../src/analysis/classify.ts';
import { EMPTY, FULL, PARTIAL, tileAt, TILE_CODE_NAMES } from '../../src/analysis/tilemap.ts';

export interface TileTruth { nqt: number; nkt: number; allowed: Int32Array; inRange: Int32Array; total: number }

export function tileTruth(ir: IrProgram, sizes: Sizes, tile: TileShape, l: number, h: number): TileTruth {
  const ev = evalMask(ir, { sizes }).element(l, h);
  const nqt = Math.ceil(sizes.Nq / tile.bq), nkt = Math.ceil(sizes.Nk / tile.bk);
  const allowed = new Int32Array(nqt * nkt), inRange = new Int32Array(nqt * nkt);
  let total = 0;
  for (let q = 0; q < sizes.Nq; q++) for (let k = 0; k < sizes.Nk; k++) {
    const t = Math.floor(q / tile.bq) * nkt + Math.floor(k / tile.bk);
    inRange[t]!++;
    if (ev(q, k)) { allowed[t]!++; total++; }
  }
  return { nqt, nkt, allowed, inRange, total };
}

export function classifyHead(ir: IrProgram, sizes: Sizes, tile: TileShape, l: number, h: number, ctx?: AnalysisContext): Classification {
  const c = ctx ?? new AnalysisContext(sizes.Nq, sizes.Nk, tile);
  const rule = ir.rules.find((r) => r.layers.includes(l) && r.heads.includes(h))!;
  const root = instantiate(ir, sizes, c.pool, rule.mask, l, h);
  return classify(c, root);
}

/** Problems found comparing a classification with the truth: soundness always, exactness when asked. */
export function compare(cl: Classification, truth: TileTruth, exact: boolean): string[] {
  const errs: string[] = [];
  for (let qt = 0; qt < truth.nqt; qt++) for (let kt = 0; kt < truth.nkt; kt++) {
    const t = qt * truth.nkt + kt;
    const a = truth.allowed[t]!, n = truth.inRange[t]!;
    const code = tileAt(cl.map, qt, kt);
    const name = TILE_CODE_NAMES[code];
    if (code === FULL && a !== n) errs.push(`(${qt},${kt}) FULL but ${a}/${n} allowed`);
    if (code === EMPTY && a !== 0) errs.push(`(${qt},${kt}) EMPTY but ${a}/${n} allowed`);
    if (exact && code !== PARTIAL && code !== FULL && code !== EMPTY) errs.push(`(${qt},${kt}) ${name} (not exact), ${a}/${n}`);
    if (exact && code === PARTIAL && (a === 0 || a === n)) errs.push(`(${qt},${kt}) PARTIAL but ${a}/${n} allowed`);
  }
  if (exact && cl.allowedExact && cl.allowed !== truth.total) errs.push(`allowed ${cl.allowed} != ${truth.total}`);
  return errs;
}
