// `attnc run FILE`: compile a pattern to WGSL and execute it on WebGPU (a real GPU, or Mesa's
// lavapipe in software); `--check` compares with the float64 reference, `--bench` times it
// against the same compiler's dense causal kernel. The runner lives in src/webgpu/.
import { readFileSync } from 'node:fs';
import { EXIT, UsageError } from '../exit.ts';
import { isInternal, printDiagnostics, readSource } from '../io.ts';
import { addSizeOptions, compileOverrides, type SizeOptions } from '../options.ts';
import { defineCommand } from '../registry.ts';

export interface RunCliOptions extends SizeOptions {
  dim?: string;
  dtype?: string;
  batch?: string;
  check?: boolean;
  bench?: boolean;
  runs?: string;
  adapter?: string;
  seed?: string;
  subgroups?: boolean;
}

const fmt = (x: number) => (x === 0 ? '0' : x.toExponential(2));

export async function runRun(file: string, opts: RunCliOptions): Promise<number> {
  const dim = Number(opts.dim ?? 64);
  if (![64, 128].includes(dim)) throw new UsageError('--dim must be 64 or 128');
  const dtype = (opts.dtype ?? 'f32') as 'f32' | 'f16';
  if (!['f32', 'f16'].includes(dtype)) throw new UsageError('--dtype must be f32 or f16');
  const adapter = (opts.adapter ?? 'auto') as 'auto' | 'software';
  if (!['auto', 'software'].includes(adapter)) throw new UsageError('--adapter must be auto or software');
  const batch = Number(opts.batch ?? 1);
  const runs = Number(opts.runs ?? 5);
  const seed = Number(opts.seed ?? Math.floor(Math.random() * 2 ** 31));
  if (!(Number.isInteger(batch) && batch > 0) || !(Number.isInteger(runs) && runs > 0) || !Number.isInteger(seed)) {
    throw new UsageError('--batch, --runs and --seed take integers');
  }
  const source = readSource(file);
  // heavy modules (front end, codegen, analysis, dawn.node) load only when the command runs
  const [{ compileToIr }, { nodeReadFile }] = await Promise.all([import('../../api.ts'), import('../../node.ts')]);
  const { ir, diagnostics, sources: imported } = compileToIr(source, { file, readFile: nodeReadFile, ...compileOverrides(opts) });
  printDiagnostics(diagnostics, source, file, imported);
  if (!ir) return isInternal(diagnostics) ? EXIT.internal : EXIT.diagnostics;

  const [{ withNodeGpu }, { runPattern }, { loadAttentionSkeleton, loadPatternHelpers }] = await Promise.all([
    import('../../webgpu/node.ts'),
    import('../../webgpu/runPattern.ts'),
    import('../../../codegen/wgsl/runtime/load.ts'),
  ]);
  const sources = { attention: loadAttentionSkeleton(), helpers: loadPatternHelpers() };
  const baseline = opts.bench ? readFileSync(new URL('../../../patterns/causal.attn', import.meta.url), 'utf8') : undefined;
  const out = (s: string) => process.stdout.write(`${s}\n`);
  return withNodeGpu({ adapter }, async (session) => {
    if (dtype === 'f16' && !session.capabilities.f16) {
      process.stderr.write(`attnc: ${session.adapterName} lacks the WebGPU feature shader-f16; use --dtype f32\n`);
      return EXIT.usage;
    }
    const r = await runPattern(session, ir, {
      sources, dim, dtype, batch, seed,
      subgroups: opts.subgroups, check: opts.check, bench: opts.bench ? { runs, baseline } : undefined,
    });
    const s = r.sizes;
    out(`adapter: ${r.adapterName} (${r.adapterKind})`);
    out(`${r.pattern}: B=${r.batch} Nq=${s.Nq} Nk=${s.Nk} H=${s.H} Hkv=${s.Hkv} L=${s.L} D=${r.dim}; ${r.variant.elem}, ` +
      `${r.variant.subgroups ? 'subgroup' : 'workgroup'} row reduction; tile ${r.tile.blockM}x${r.tile.blockN}` +
      (r.density !== undefined ? `; density ${(r.density * 100).toFixed(1)}%` : ''));
    if (r.helpers.length) out(`helpers: ${r.helpers.join('; ')}`);
    out(`ran layer(s) ${r.layers.length > 8 ? `0..${r.layers.length - 1}` : r.layers.join(', ')} (seed ${seed})`);
    let code: number = EXIT.ok;
    if (r.check) {
      const c = r.check;
      const worst = (f: (x: (typeof c.layers)[number]) => number) => Math.max(...c.layers.map(f));
      const empty = c.layers.reduce((a, l) => a + l.emptyRows, 0);
      out(`check vs float64 reference: max abs err O ${fmt(worst((l) => l.maxAbsO))}, max rel err O ${fmt(worst((l) => l.maxRelO))}, ` +
        `max abs err LSE ${fmt(worst((l) => l.maxAbsLse))}; ${empty} empty row(s) ` +
        `(tolerance |dO| <= ${c.tolerance.atol} + ${c.tolerance.rtol}|O|, |dLSE| <= ${c.tolerance.lse})`);
      for (const l of c.layers) for (const b of l.firstBad) out(`  layer ${l.layer}: ${b}`);
      out(c.pass ? 'PASS' : `FAIL (${c.layers.reduce((a, l) => a + l.bad, 0)} element(s) out of tolerance)`);
      if (!c.pass) code = EXIT.diagnostics;
    }
    if (r.bench) {
      const b = r.bench;
      out(`bench (${b.sparse.method}, median of ${runs}): ${r.pattern} ${b.sparse.medianMs.toFixed(2)} ms, dense causal ${b.dense.medianMs.toFixed(2)} ms; ` +
        `speed-up ${b.speedup.toFixed(2)}x` +
        (b.inverseDensity !== undefined ? ` (1/density ${b.inverseDensity.toFixed(2)}` +
          (b.denseDensity !== undefined && r.density ? `, causal density / density ${(b.denseDensity / r.density).toFixed(2)}` : '') + ')' : ''));
    }
    return code;
  });
}

defineCommand((program) => {
  addSizeOptions(
    program
      .command('run')
      .description('compile a pattern to WGSL and run it on WebGPU (check against the reference, benchmark)')
      .argument('<file>', '.attn pattern file')
      .option('--dim <D>', 'head dimension: 64 | 128', '64')
      .option('--dtype <dtype>', 'f32 | f16', 'f32')
      .option('--batch <B>', 'batch size', '1')
      .option('--check', 'compare with the float64 reference (exit 1 on failure)')
      .option('--bench', 'time against the dense causal kernel at the same sizes')
      .option('--runs <n>', 'timed runs for --bench', '5')
      .option('--adapter <adapter>', 'auto | software (lavapipe)', 'auto')
      .option('--seed <n>', 'seed of the random Q, K, V and runtime inputs')
      .option('--no-subgroups', 'use the workgroup-memory row reduction'),
  ).action(async (file: string, opts: RunCliOptions) => {
    process.exitCode = await runRun(file, opts);
  });
});
