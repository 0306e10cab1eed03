// The analysis as the playground shows it: per-(layer, head) tile classes for the tile map and
// the raster's shortcuts, the statistics panel's rows and verdicts, and the schedules codegen
// uses (the same adapter `attnc compile` uses, so the emitted kernels match the CLI's).
import { classify, type Classification } from '../../../../src/analysis/classify.ts';
import { AnalysisContext } from '../../../../src/analysis/context.ts';
import { instantiate } from '../../../../src/analysis/fold.ts';
import { EMPTY, FULL, PARTIAL, PARTIAL_RUNTIME, PARTIAL_UNDECIDED, type TileMap } from '../../../../src/analysis/tilemap.ts';
import type { IrProgram } from '../../../../src/ir/schema.ts';
import { defaultTile, type CompileOptions, type Target } from '../../../../codegen/index.ts';
import { scheduleFromAnalysis } from '../../../../codegen/lower/fromAnalysis.ts';
import type { AnalysisView, StatRow, Verdict } from '../protocol.ts';

/** Tile classes of one (layer, head): codes of src/analysis/tilemap.ts, row-major. */
export interface TileClasses {
  tilesQ: number;
  tilesK: number;
  classes: Uint8Array;
}

export interface PatternAnalysis {
  view: AnalysisView | { unavailable: string };
  tileClasses: ((l: number, h: number) => TileClasses | undefined) | undefined;
  codegenOptions: (target: Target) => Partial<CompileOptions>;
}

/** Head dimension the FLOP counts assume. */
const FLOP_HEAD_DIM = 128;

export function analyzePattern(ir: IrProgram, tile: { m: number; n: number }): PatternAnalysis {
  const sizes = ir.sizes;
  const codegenCache = new Map<Target, Partial<CompileOptions>>();
  const codegenOptions = (target: Target): Partial<CompileOptions> => {
    let options = codegenCache.get(target);
    if (!options) {
      const codegenTile = defaultTile(target);
      const analysed = scheduleFromAnalysis(ir, sizes, codegenTile);
      options = { tile: codegenTile, schedule: analysed?.schedule, statistics: analysed?.statistics };
      codegenCache.set(target, options);
    }
    return options;
  };

  const ctx = new AnalysisContext(sizes.Nq, sizes.Nk, { bq: tile.m, bk: tile.n });
  const byRoot = new Map<number, Classification>();
  const classOf: Classification[] = [];
  const ruleOf = new Map<number, number>();
  ir.rules.forEach((rule, i) => {
    for (const l of rule.layers) for (const h of rule.heads) ruleOf.set(l * sizes.H + h, i);
  });
  for (let l = 0; l < sizes.L; l++) {
    for (let h = 0; h < sizes.H; h++) {
      const rule = ir.rules[ruleOf.get(l * sizes.H + h) ?? 0]!;
      const root = instantiate(ir, sizes, ctx.pool, rule.mask, l, h);
      let c = byRoot.get(root);
      if (!c) {
        c = classify(ctx, root);
        byRoot.set(root, c);
      }
      classOf.push(c);
    }
  }

  const dense = new Map<TileMap, Uint8Array>();
  const tileClasses = (l: number, h: number): TileClasses | undefined => {
    const c = classOf[l * sizes.H + h];
    if (!c) return undefined;
    let classes = dense.get(c.map);
    if (!classes) {
      classes = new Uint8Array(c.map.nqt * c.map.nkt).fill(EMPTY);
      for (let qt = 0; qt < c.map.nqt; qt++) {
        for (let i = c.map.rowPtr[qt]!; i < c.map.rowPtr[qt + 1]!; i++) {
          classes.fill(c.map.code[i]!, qt * c.map.nkt + c.map.kt0[i]!, qt * c.map.nkt + c.map.kt1[i]!);
        }
      }
      dense.set(c.map, classes);
    }
    return { tilesQ: c.map.nqt, tilesK: c.map.nkt, classes };
  };

  return { view: statistics(ir, tile, classOf, byRoot.size), tileClasses, codegenOptions };
}

function statistics(ir: IrProgram, tile: { m: number; n: number }, classOf: Classification[], distinct: number): AnalysisView {
  const { Nq, Nk, H, L } = ir.sizes;
  const tiles = [0, 0, 0, 0, 0];
  let allowed = 0;
  let exact = true;
  let runtime = false;
  for (const c of classOf) {
    c.tiles.forEach((n, i) => (tiles[i]! += n));
    allowed += c.allowed;
    exact &&= c.allowedExact;
    runtime ||= c.runtime;
  }
  const elements = L * H * Nq * Nk;
  const partial = tiles[PARTIAL]! + tiles[PARTIAL_UNDECIDED]! + tiles[PARTIAL_RUNTIME]!;
  const visited = tiles[FULL]! + partial;
  const totalTiles = visited + tiles[EMPTY]!;
  const flopsDense = 4 * elements * FLOP_HEAD_DIM;
  const flopsTiles = 4 * visited * tile.m * tile.n * FLOP_HEAD_DIM;
  const flopsMask = 4 * allowed * FLOP_HEAD_DIM;
  const approx = exact ? '' : '≈ ';
  const rows: StatRow[] = [
    { label: 'density', value: `${approx}${percent(allowed / elements)}`, title: `${approx}${allowed.toLocaleString('en-US')} of ${elements.toLocaleString('en-US')} (q, k) pairs allowed${runtime ? ' (runtime parts counted as allowed)' : ''}` },
    { label: 'tiles visited', value: `${percent(visited / totalTiles)}`, title: `${visited.toLocaleString('en-US')} of ${totalTiles.toLocaleString('en-US')} tiles of ${tile.m}×${tile.n}` },
    { label: 'full · partial', value: `${tiles[FULL]!.toLocaleString('en-US')} · ${partial.toLocaleString('en-US')}` },
    { label: 'empty (skipped)', value: tiles[EMPTY]!.toLocaleString('en-US') },
    { label: 'FLOPs, dense', value: flops(flopsDense), title: `4 · L · H · Nq · Nk · D with D = ${FLOP_HEAD_DIM}, batch 1` },
    { label: 'FLOPs, kernel', value: flops(flopsTiles), title: 'work of the visited tiles (full and partial)' },
    { label: 'work saved', value: `${(flopsDense / Math.max(1, flopsTiles)).toFixed(1)}×`, title: 'dense FLOPs / kernel FLOPs: the bound on the speed-up over dense attention' },
    { label: 'FLOPs, mask', value: `${approx}${flops(flopsMask)}`, title: 'work of the allowed pairs only (a lower bound)' },
    { label: 'distinct masks', value: `${distinct} of ${L * H} heads`, title: 'heads whose masks fold to the same expression share one schedule' },
  ];
  const verdicts: Verdict[] = (['coverage', 'reachability'] as const).map((name) => ({
    name,
    status: 'unknown',
    detail: ir.requires.includes(name) ? `required by the source (require ${name})` : '',
  }));
  return {
    tile,
    rows,
    tiles: { empty: tiles[EMPTY]!, full: tiles[FULL]!, partial },
    verdicts,
    notes: [
      'Coverage and reachability verdicts come from the analysis’s checks, which are not wired in yet.',
      ...(runtime ? ['Parts of this mask depend on runtime inputs: the views use seeded example inputs, and the tile classes are the static envelope.'] : []),
    ],
  };
}

function percent(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const p = 100 * x;
  return `${p >= 10 ? p.toFixed(1) : p >= 0.1 ? p.toFixed(2) : p.toPrecision(2)}%`;
}

function flops(x: number): string {
  const units: [number, string][] = [[1e15, 'PFLOP'], [1e12, 'TFLOP'], [1e9, 'GFLOP'], [1e6, 'MFLOP'], [1e3, 'kFLOP']];
  for (const [scale, unit] of units) if (x >= scale) return `${(x / scale).toPrecision(3)} ${unit}`;
  return `${x} FLOP`;
}
