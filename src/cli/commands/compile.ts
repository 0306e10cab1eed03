// `attnc compile FILE --target cuda|wgsl|flex -o DIR`: front end -> (analysis schedule) ->
// codegen, then writes the emitted files, copies the skeleton / loader assets beside them and
// prints a short summary. All compiler logic lives in src/api.ts and codegen/index.ts.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { compile, defaultTile, type Target } from '../../../codegen/index.ts';
import { compileToIr, formatDiagnostic } from '../../api.ts';
import type { Sizes } from '../../ir/schema.ts';
import { scheduleFromAnalysis } from '../../../codegen/lower/fromAnalysis.ts';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface CompileCliOptions {
  target?: string; output?: string; seq?: string; kvSeq?: string; heads?: string; kvHeads?: string; layers?: string;
  set?: string[]; tile?: string; dtype?: string; headDim?: string;
}

class UsageError extends Error {}

function positiveInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} expects a positive integer, got '${v}'`);
  return n;
}

export function runCompile(file: string, opts: CompileCliOptions): number {
  const target = (opts.target ?? 'cuda') as Target;
  if (!['cuda', 'wgsl', 'flex'].includes(target)) throw new UsageError(`--target must be cuda, wgsl or flex`);
  if (!opts.output) throw new UsageError('-o DIR is required');
  const sizes: Partial<Sizes> = {};
  const put = (k: keyof Sizes, v: number | undefined) => { if (v !== undefined) sizes[k] = v; };
  put('Nq', positiveInt('--seq', opts.seq));
  put('Nk', positiveInt('--kv-seq', opts.kvSeq));
  put('H', positiveInt('--heads', opts.heads));
  put('Hkv', positiveInt('--kv-heads', opts.kvHeads));
  put('L', positiveInt('--layers', opts.layers));
  const set: Record<string, string> = {};
  for (const s of opts.set ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects name=value, got '${s}'`);
    set[s.slice(0, eq)] = s.slice(eq + 1);
  }
  let tile = defaultTile(target);
  if (opts.tile) {
    const m = /^(\d+)x(\d+)$/.exec(opts.tile);
    if (!m) throw new UsageError(`--tile expects BQxBK, e.g. 128x64`);
    tile = { blockM: Number(m[1]), blockN: Number(m[2]) };
  }
  if (target === 'cuda' && (tile.blockM !== 128 || ![64, 128].includes(tile.blockN))) {
    throw new UsageError('the CUDA kernels use 128-row query tiles and 64- or 128-wide key tiles (--tile 128x64 or 128x128)');
  }
  const dtypes = opts.dtype ? [opts.dtype as 'bf16' | 'fp16'] : undefined;
  if (dtypes && !['bf16', 'fp16'].includes(dtypes[0])) throw new UsageError('--dtype must be bf16 or fp16');
  const headDim = positiveInt('--head-dim', opts.headDim);
  if (target === 'cuda' && headDim !== undefined && ![64, 128].includes(headDim)) throw new UsageError('--head-dim must be 64 or 128');

  const source = readFileSync(file, 'utf8');
  const { ir, diagnostics } = compileToIr(source, { file, sizes, set, readFile: (p: string) => readFileSync(p, 'utf8') });
  for (const d of diagnostics) process.stderr.write(formatDiagnostic(d, source, file) + '\n');
  if (!ir || diagnostics.some((d) => d.severity === 'error')) return 1;

  const summary = source.split('\n').filter((l) => /^\s*(mask|score|sizes|param|let|input|table)\b|^\s*(layers|heads|otherwise)\b/.test(l)).slice(0, 12);
  const analysed = scheduleFromAnalysis(ir, ir.sizes, tile);
  const result = compile(ir, {
    target, tile, dtypes, headDims: headDim ? [headDim] : undefined, sourceSummary: summary,
    schedule: analysed?.schedule, statistics: analysed?.statistics,
  });
  const out = resolve(opts.output);
  for (const f of result.files) {
    mkdirSync(dirname(join(out, f.path)), { recursive: true });
    writeFileSync(join(out, f.path), f.contents);
  }
  for (const a of result.assets) {
    mkdirSync(dirname(join(out, a.path)), { recursive: true });
    copyFileSync(join(REPO_ROOT, a.source), join(out, a.path));
  }
  const m = result.metadata;
  const st = m.statistics;
  process.stdout.write(
    `${m.pattern}: ${target} -> ${out} (${result.files.length + result.assets.length} files)\n` +
    `  sizes Nq=${m.sizes.Nq} Nk=${m.sizes.Nk} H=${m.sizes.H} Hkv=${m.sizes.Hkv} L=${m.sizes.L}; tile ${m.tile.blockM}x${m.tile.blockN}\n` +
    (st ? `  schedule: ${st.scheduleKinds.join(', ')}; ${st.classes} class(es); visited tiles ${st.tiles.full} full + ${st.tiles.partial} partial (density ${(st.density * 100).toFixed(1)}%)\n` : '  schedule: dense (no analysis)\n') +
    (m.kernels.length ? `  kernels: ${m.kernels.map((k) => k.name).join(', ')}\n` : '') +
    (m.inputs.length ? `  runtime inputs: ${m.inputs.map((i) => `${i.name}${i.source !== 'given' ? ` (${i.source})` : ''}`).join(', ')}\n` : ''),
  );
  return 0;
}

export function registerCompileCommand(program: Command): void {
  program
    .command('compile')
    .description('compile a pattern to CUDA, WGSL or FlexAttention with launch metadata')
    .argument('<file>', '.attn pattern file')
    .option('-t, --target <target>', 'cuda | wgsl | flex', 'cuda')
    .option('-o, --output <dir>', 'output directory')
    .option('--seq <n>', 'query length Nq')
    .option('--kv-seq <n>', 'key length Nk')
    .option('--heads <n>', 'query heads H')
    .option('--kv-heads <n>', 'key/value heads Hkv')
    .option('--layers <n>', 'layers L')
    .option('--set <name=value...>', 'override params')
    .option('--tile <BQxBK>', 'tile shape, e.g. 128x64')
    .option('--dtype <dtype>', 'bf16 | fp16 (default: both)')
    .option('--head-dim <d>', '64 | 128 (default: both)')
    .action((file: string, opts: CompileCliOptions) => {
      try {
        process.exitCode = runCompile(file, opts);
      } catch (e) {
        if (e instanceof UsageError) {
          process.stderr.write(`attnc compile: ${e.message}\n`);
          process.exitCode = 2;
        } else throw e;
      }
    });
}
