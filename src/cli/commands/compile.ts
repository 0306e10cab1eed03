// `attnc compile FILE --target cuda|wgsl|flex -o DIR`: front end -> analysis schedule ->
// codegen, then writes the emitted files, copies the skeleton / loader assets beside them and
// prints a short summary. All compiler logic lives in src/api.ts and codegen/index.ts (imported
// when the command runs, so other commands start without loading the code generators).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompileResult, Target } from '../../../codegen/index.ts';
import type { Tile } from '../../../codegen/lower/pattern.ts';
import { EXIT, UsageError } from '../exit.ts';
import { isInternal, printDiagnostics, readSource } from '../io.ts';
import { addSizeOptions, compileOverrides, type SizeOptions } from '../options.ts';
import { defineCommand } from '../registry.ts';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface CompileCliOptions extends SizeOptions {
  target?: string; output?: string; tile?: string; dtype?: string; headDim?: string;
}

export function writeCompileResult(result: CompileResult, outDir: string): string {
  const out = resolve(outDir);
  for (const f of result.files) {
    mkdirSync(dirname(join(out, f.path)), { recursive: true });
    writeFileSync(join(out, f.path), f.contents);
  }
  for (const a of result.assets) {
    mkdirSync(dirname(join(out, a.path)), { recursive: true });
    copyFileSync(join(REPO_ROOT, a.source), join(out, a.path));
  }
  return out;
}

export async function runCompile(file: string, opts: CompileCliOptions): Promise<number> {
  const target = (opts.target ?? 'cuda') as Target;
  if (!['cuda', 'wgsl', 'flex'].includes(target)) throw new UsageError('--target must be cuda, wgsl or flex');
  if (!opts.output) throw new UsageError('-o DIR is required');
  let tile: Tile | undefined;
  if (opts.tile) {
    const m = /^(\d+)x(\d+)$/.exec(opts.tile);
    if (!m) throw new UsageError('--tile expects BQxBK, e.g. 128x64');
    tile = { blockM: Number(m[1]), blockN: Number(m[2]) };
  }
  if (tile && target === 'cuda' && (tile.blockM !== 128 || ![64, 128].includes(tile.blockN))) {
    throw new UsageError('the CUDA kernels use 128-row query tiles and 64- or 128-wide key tiles (--tile 128x64 or 128x128)');
  }
  const dtypes = opts.dtype ? [opts.dtype as 'bf16' | 'fp16'] : undefined;
  if (dtypes && !['bf16', 'fp16'].includes(dtypes[0])) throw new UsageError('--dtype must be bf16 or fp16');
  const headDim = opts.headDim === undefined ? undefined : Number(opts.headDim);
  if (target === 'cuda' && headDim !== undefined && ![64, 128].includes(headDim)) throw new UsageError('--head-dim must be 64 or 128');

  const [{ compileToIr }, { nodeReadFile }, { compile }, { analysedCompileOptions }, { describeScheduleKinds }] = await Promise.all([
    import('../../api.ts'), import('../../node.ts'), import('../../../codegen/index.ts'), import('../../../codegen/tileChoice.ts'),
    import('../../../codegen/lower/fromAnalysis.ts'),
  ]);
  const source = readSource(file);
  const { ir, diagnostics, sources } = compileToIr(source, { file, readFile: nodeReadFile, ...compileOverrides(opts) });
  printDiagnostics(diagnostics, source, file, sources);
  if (!ir) return isInternal(diagnostics) ? EXIT.internal : EXIT.diagnostics;

  const summary = source.split('\n').filter((l) => /^\s*(mask|score|layers|heads|otherwise)\b/.test(l)).slice(0, 12);
  const plan = analysedCompileOptions(ir, target, { tile });
  const analysed = plan.analysed;
  const result = compile(ir, {
    target, tile: plan.tile, dtypes, headDims: headDim ? [headDim] : undefined, sourceSummary: summary,
    schedule: analysed?.schedule, statistics: analysed?.statistics,
  });
  const out = writeCompileResult(result, opts.output);
  const m = result.metadata;
  // the front end's W201 already located the step function; this covers any form it misses
  if (m.backward && !m.backward.supported && !diagnostics.some((d) => d.code === 'W201')) process.stderr.write(`${file}: warning: no backward kernels: ${m.backward.reason}; attention() is forward-only\n`);
  const st = m.statistics;
  process.stdout.write(
    `${m.pattern}: ${target} -> ${out} (${result.files.length + result.assets.length} files)\n` +
    `  sizes Nq=${m.sizes.Nq} Nk=${m.sizes.Nk} H=${m.sizes.H} Hkv=${m.sizes.Hkv} L=${m.sizes.L}; tile ${m.tile.blockM}x${m.tile.blockN}` +
    `${plan.choice ? ` (chosen: ${plan.choice.reason})` : opts.tile ? ' (--tile)' : ' (default)'}\n` +
    (st && analysed ? `  schedule: ${describeScheduleKinds(analysed)}; ${st.classes} class(es); ${analysed.kinds.some((k) => k.analysisKind === 'runtime') ? 'static envelope (an upper bound: the device keeps a subset per input)' : 'visited tiles'} ${st.tiles.full} full + ${st.tiles.partial} partial (density ${(st.density * 100).toFixed(1)}%)\n` : '  schedule: dense (no analysis)\n') +
    (m.kernels.length ? `  kernels: ${[...new Set(m.kernels.map((k) => k.name))].join(', ')}\n` : '') +
    (m.inputs.length ? `  runtime inputs: ${m.inputs.filter((i) => i.source !== 'helper').map((i) => `${i.name}${i.source !== 'given' ? ` (${i.source})` : ''}`).join(', ')}\n` : '') +
    (m.permutation ? `  row permutation: queries sorted by ${m.permutation.query.keyInput}, keys by ${m.permutation.key.keyInput} (${m.permutation.query.keyKind === 'keep' ? 'kept rows first' : `${m.permutation.query.buckets} buckets`}); attention over sorted rows, O and LSE scattered back\n` : ''),
  );
  return EXIT.ok;
}

defineCommand((program) => {
  addSizeOptions(
    program
      .command('compile')
      .description('compile a pattern to CUDA, WGSL or FlexAttention, with launch metadata')
      .argument('<file>', '.attn pattern file')
      .option('-t, --target <target>', 'cuda | wgsl | flex', 'cuda')
      .option('-o, --output <dir>', 'output directory')
      .option('--tile <BQxBK>', 'tile shape, e.g. 128x64')
      .option('--dtype <dtype>', 'bf16 | fp16 (default: both)')
      .option('--head-dim <d>', '64 | 128 (default: both)'),
  ).action(async (file: string, opts: CompileCliOptions) => {
    process.exitCode = await runCompile(file, opts);
  });
});
