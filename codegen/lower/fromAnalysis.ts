// Adapter from the analysis (src/analysis) to schedule lowering: per (l, h) the rule's mask is
// instantiated and classified into tile runs; (l, h) pairs with the same folded mask share a
// schedule class. Each class becomes a CSR schedule of its non-EMPTY tiles (FULL flag = the
// analysis proved the tile FULL; runtime-dependent and undecided tiles are PARTIAL, so the
// static envelope stays sound for runtime patterns).
import { classify } from '../../src/analysis/classify.ts';
import { AnalysisContext } from '../../src/analysis/context.ts';
import { instantiate } from '../../src/analysis/fold.ts';
import { FULL, type TileMap } from '../../src/analysis/tilemap.ts';
import type { IrProgram, Sizes } from '../../src/ir/schema.ts';
import type { LaunchMetadata } from '../metadata/schema.ts';
import type { Tile } from './pattern.ts';
import type { ClassSchedule, ScheduleInput } from './schedule.ts';

export interface AnalysedSchedule {
  schedule: () => ScheduleInput;
  statistics: NonNullable<LaunchMetadata['statistics']>;
  maps: TileMap[];
}

export function scheduleFromAnalysis(ir: IrProgram, sizes: Sizes, tile: Tile): AnalysedSchedule | undefined {
  try {
    return analyseClasses(ir, sizes, tile);
  } catch {
    return undefined; // no static schedule: the caller falls back to the dense schedule
  }
}

function analyseClasses(ir: IrProgram, sizes: Sizes, tile: Tile): AnalysedSchedule {
  const ctx = new AnalysisContext(sizes.Nq, sizes.Nk, { bq: tile.blockM, bk: tile.blockN });
  const ruleOf = new Map<number, number>();
  ir.rules.forEach((r, i) => { for (const l of r.layers) for (const h of r.heads) ruleOf.set(l * sizes.H + h, i); });
  const classByRoot = new Map<number, number>();
  const classOf: number[] = [];
  const maps: TileMap[] = [];
  for (let l = 0; l < sizes.L; l++) {
    for (let h = 0; h < sizes.H; h++) {
      const rule = ir.rules[ruleOf.get(l * sizes.H + h) ?? 0];
      const root = instantiate(ir, sizes, ctx.pool, rule.mask, l, h);
      let c = classByRoot.get(root);
      if (c === undefined) {
        c = maps.length;
        classByRoot.set(root, c);
        maps.push(classify(ctx, root).map);
      }
      classOf.push(c);
    }
  }
  const classes: ClassSchedule[] = maps.map((m) => {
    const rows: { kt: number; full: boolean }[][] = [];
    for (let qt = 0; qt < m.nqt; qt++) {
      const row: { kt: number; full: boolean }[] = [];
      for (let i = m.rowPtr[qt]; i < m.rowPtr[qt + 1]; i++) {
        for (let kt = m.kt0[i]; kt < m.kt1[i]; kt++) row.push({ kt, full: m.code[i] === FULL });
      }
      rows.push(row);
    }
    return { kind: 'csr', rows };
  });
  let full = 0, partial = 0;
  for (const c of classOf) {
    const m = maps[c];
    for (let i = 0; i < m.code.length; i++) {
      const n = m.kt1[i] - m.kt0[i];
      if (m.code[i] === FULL) full += n; else partial += n;
    }
  }
  const nqt = Math.ceil(sizes.Nq / tile.blockM), nkt = Math.ceil(sizes.Nk / tile.blockN);
  const total = sizes.L * sizes.H * nqt * nkt;
  return {
    schedule: () => ({ numQueryTiles: nqt, numKeyTiles: nkt, classOf, H: sizes.H, classes }),
    statistics: {
      tile: { ...tile }, tiles: { total, full, partial, empty: total - full - partial },
      density: (full + partial) / total, classes: maps.length, scheduleKinds: ['csr'],
    },
    maps,
  };
}
