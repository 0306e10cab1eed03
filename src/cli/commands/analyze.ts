// `attnc analyze FILE`: tile classes, schedules, statistics, coverage and reachability of a
// pattern at concrete sizes, as a table, as JSON (the AnalysisReport schema), and as a picture
// of the tile classes per schedule class (SVG, or PNG through pngjs). No compiler logic here.
// The front end, the analysis and pngjs are imported when the command runs (fast CLI startup).
import { writeFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { EXIT, UsageError } from '../exit.ts';
import { isInternal, printDiagnostics, readSource } from '../io.ts';
import { addSizeOptions, compileOverrides, type SizeOptions } from '../options.ts';
import { defineCommand } from '../registry.ts';
import type { Analysis, AnalysisReport, ClassReport } from '../../analysis/index.ts';

interface AnalyzeCliOptions extends SizeOptions {
  tile: { bq: number; bk: number };
  json?: boolean;
  svg?: string;
  png?: string;
}

function parseTile(value: string): { bq: number; bk: number } {
  const m = /^(\d+)x(\d+)$/.exec(value);
  if (!m || Number(m[1]) <= 0 || Number(m[2]) <= 0) throw new InvalidArgumentError('expected BQxBK, e.g. 128x64');
  return { bq: Number(m[1]), bk: Number(m[2]) };
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.001 ? 4 : 2)}%`;
const kib = (b: number) => (b === 0 ? '0' : b < 1024 ? `${b} B` : b < 1 << 20 ? `${(b / 1024).toFixed(1)} KiB` : `${(b / (1 << 20)).toFixed(2)} MiB`);

function heads(c: ClassReport): string {
  const layers = [...new Set(c.members.map((m) => m.l))];
  const hs = [...new Set(c.members.map((m) => m.h))].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < hs.length;) {
    let j = i;
    while (j + 1 < hs.length && hs[j + 1] === hs[j]! + 1) j++;
    ranges.push(i === j ? `${hs[i]}` : `${hs[i]}-${hs[j]}`);
    i = j + 1;
  }
  const ls = layers.length === 1 ? `L${layers[0]}` : `${layers.length} layers`;
  return `${ls} h${ranges.join(',')}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

export function renderReport(r: AnalysisReport): string {
  const out: string[] = [];
  const { Nq, Nk, H, L } = r.sizes;
  out.push(`${r.pattern}: Nq=${Nq} Nk=${Nk} H=${H} L=${L}, tiles ${r.tile.bq}x${r.tile.bk} (${r.grid.nqt} x ${r.grid.nkt})`);
  out.push('');
  const rows = [['class', 'heads', 'density', 'ctx/query', 'full', 'partial', 'empty', 'schedule', 'bytes', 'csr bytes', 'speed-up']];
  for (const c of r.classes) {
    const partial = c.tiles.PARTIAL + c.tiles.PARTIAL_UNDECIDED + c.tiles.PARTIAL_RUNTIME;
    const kind = c.schedule.kind === 'runtime' ? `runtime/${c.schedule.envelopeKind}` : c.schedule.kind;
    rows.push([
      `#${c.id}`, heads(c), pct(c.density) + (c.allowedExact ? '' : '~'), c.effectiveContext.toFixed(1),
      String(c.tiles.FULL), String(partial), String(c.tiles.EMPTY), kind, kib(c.schedule.bytes), kib(c.schedule.csrBytes),
      `${c.predictedSpeedup.toFixed(2)}x`,
    ]);
  }
  out.push(table(rows));
  const t = r.totals;
  out.push('');
  out.push(`total: density ${pct(t.density)}${t.allowedExact ? '' : ' (~ estimated or runtime envelope)'}, attention FLOPs ${pct(t.flopsVsCausal)} of dense causal, predicted speed-up ${t.predictedSpeedup.toFixed(2)}x vs dense causal, schedule tables ${kib(t.scheduleBytes)}`);
  const undecided = t.tiles.PARTIAL_UNDECIDED;
  if (undecided) out.push(`note: ${undecided} tiles are PARTIAL without proof of mixing (refinement budget)`);
  for (const c of r.classes) {
    if (c.schedule.kind === 'closed_form' || c.schedule.envelopeKind === 'closed_form') {
      const segs = (c.schedule.segments ?? []).map((s) => `${s.kind} [${f(s.start)}, ${f(s.end)})${s.step > 1 ? ` step ${s.step}` : ''}${s.rows ? ` if ${s.rows.from} <= x < ${s.rows.to}` : ''}`);
      out.push(`class #${c.id} key tiles of query tile x: ${segs.join('; ') || 'none'}`);
    } else if (c.schedule.fallbackReason) {
      out.push(`class #${c.id}: CSR (${c.schedule.fallbackReason})`);
    }
    for (const b of c.builds) out.push(`class #${c.id} runtime: ${b.kind} from ${b.inputs.join(', ')}: ${kib(b.bytes)}, ~${b.work.toExponential(2)} ops per (batch, head); ${b.description}`);
  }
  out.push('');
  const cov = r.coverage;
  if (cov.checked) {
    if (cov.ok) out.push('coverage: ok (every causal pair is attended by some head of each layer)');
    else {
      const bad = cov.layers.filter((l) => !l.ok);
      const first = bad[0]!;
      out.push(`coverage: NOT covered in ${bad.length} layer(s); e.g. layer ${first.l}` +
        (first.uncovered ? `: no head attends query ${first.uncovered.q} to key ${first.uncovered.k}` : ' (undecided tiles)'));
    }
  }
  const re = r.reachability;
  if (re.checked) {
    if (re.verdict === 'reachable') out.push(`reachability: every query sees every earlier key after ${re.layersNeeded} layer(s)${re.withinLayers ? '' : ` (the pattern has ${re.layers})`}`);
    else if (re.verdict === 'never') out.push(`reachability: never; key ${re.example!.k} cannot reach query ${re.example!.q}`);
    else out.push(`reachability: ${re.verdict} (${re.note})`);
  }
  out.push(`time: ${r.timing.totalMs.toFixed(1)} ms (classify ${r.timing.classifyMs.toFixed(1)}, schedules ${r.timing.schedulesMs.toFixed(1)}, checks ${r.timing.checksMs.toFixed(1)})`);
  return out.join('\n') + '\n';
}

function f(x: { mul: number; add: number; div: number }): string {
  const lin = x.mul === 0 ? `${x.add}` : `${x.mul === 1 ? '' : `${x.mul}*`}x${x.add ? (x.add > 0 ? ` + ${x.add}` : ` - ${-x.add}`) : ''}`;
  return x.div === 1 ? lin : `(${lin}) // ${x.div}`;
}

export async function analysisPng(a: Analysis, maxSide = 256): Promise<Uint8Array> {
  const [{ PNG }, { rasterize, TILE_COLORS }] = await Promise.all([import('pngjs'), import('../../analysis/index.ts')]);
  const rasters = a.classes.map((c) => rasterize(c.classification.map, maxSide));
  const gap = 4;
  const width = rasters.reduce((s, r) => s + r.width + gap, gap);
  const height = Math.max(...rasters.map((r) => r.height)) + 2 * gap;
  const png = new PNG({ width, height });
  png.data.fill(255);
  let x0 = gap;
  for (const r of rasters) {
    for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) {
      const [cr, cg, cb] = TILE_COLORS[r.codes[y * r.width + x]!]!;
      const p = ((y + gap) * width + x0 + x) * 4;
      png.data[p] = cr; png.data[p + 1] = cg; png.data[p + 2] = cb; png.data[p + 3] = 255;
    }
    x0 += r.width + gap;
  }
  return PNG.sync.write(png);
}

defineCommand((program) => {
  addSizeOptions(
    program
      .command('analyze')
      .description('tile classes, schedules, density, coverage and reachability of a pattern (no GPU)')
      .argument('<file>', 'pattern file (.attn)'),
  )
    .option('--tile <BQxBK>', 'tile shape', parseTile, { bq: 128, bk: 64 })
    .option('--json', 'print the report as JSON (docs/analysis.md)')
    .option('--svg <file>', 'write a picture of the tile classes per schedule class (SVG)')
    .option('--png <file>', 'write a picture of the tile classes per schedule class (PNG)')
    .action(async (file: string, opts: AnalyzeCliOptions) => {
      const [{ compileToIr }, { nodeReadFile }, { hasErrors }, { analyze, tileMapsSvg, locateCheckDiagnostics }] = await Promise.all([
        import('../../api.ts'), import('../../node.ts'), import('../../diagnostics/diagnostic.ts'), import('../../analysis/index.ts'),
      ]);
      const source = readSource(file);
      const { ir, diagnostics, sources } = compileToIr(source, { file, readFile: nodeReadFile, ...compileOverrides(opts) });
      printDiagnostics(diagnostics, source, file, sources);
      if (isInternal(diagnostics)) { process.exitCode = EXIT.internal; return; }
      if (!ir || hasErrors(diagnostics)) { process.exitCode = EXIT.diagnostics; return; }
      const analysis = analyze(ir, { tile: opts.tile });
      const { report } = analysis;
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
      printDiagnostics(locateCheckDiagnostics(report.diagnostics, source), source, file, sources);
      const write = (path: string, data: string | Uint8Array) => {
        try { writeFileSync(path, data); } catch { throw new UsageError(`cannot write '${path}'`); }
      };
      if (opts.svg) write(opts.svg, tileMapsSvg(analysis.classes.map((c) => ({ label: `#${c.id} ${heads(report.classes[c.id]!)}`, map: c.classification.map }))));
      if (opts.png) write(opts.png, await analysisPng(analysis));
      process.exitCode = report.diagnostics.some((d) => d.severity === 'error') ? EXIT.diagnostics : EXIT.ok;
    });
});
