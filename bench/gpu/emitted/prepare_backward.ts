// Prepares the GPU check and timing of the emitted BACKWARD pass (and the training run):
// compiles, on this machine, each shipped pattern to CUDA (bf16, D 64 and 128; forward +
// <pattern>_bwd.cu) and to FlexAttention (the float64 reference builds its mask and score
// modifier from the flex module's mask_mod / score_mod, vectorised over the whole grid), and
// writes the runtime inputs. The GPU machine builds the cubins and runs
// bench/gpu/emitted/check_backward.py (run on the GPU machine by bench/gpu/all.sh).
//
//   npx tsx bench/gpu/emitted/prepare_backward.ts [--out bench/gpu/emitted/build_bwd] [--only a,b] [--seed N]
//
// Output (about 10 MB): check/<pattern>/ (CUDA module, <pattern>_flex/ beside it, case.json,
// input_*.bin), bench/<pattern>_16384/ (+ _flex) for the static timing patterns, train/<pattern>/
// for bench/gpu/train/train_lm.py.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compile, type Target } from '../../../codegen/index.ts';
import { analysedCompileOptions } from '../../../codegen/tileChoice.ts';
import type { Tile } from '../../../codegen/lower/pattern.ts';
import { compileToIr } from '../../../src/api.ts';
import { analyze } from '../../../src/analysis/index.ts';
import type { IrProgram, Sizes } from '../../../src/ir/schema.ts';
import { nodeReadFile } from '../../../src/node.ts';
import { exampleInputs } from '../../../src/reference/inputs.ts';
import { writeCompileResult } from '../../../src/cli/commands/compile.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : dflt;
};
const outRoot = arg('--out', 'bench/gpu/emitted/build_bwd');
const only = arg('--only', '').split(',').filter(Boolean);
const seed = Number(arg('--seed', '20261123'));
rmSync(outRoot, { recursive: true, force: true });

/** Smaller windows and budgets so that the small check sizes exercise the pattern's structure. */
const SMALL: Record<string, Record<string, number>> = {
  sliding_window: { window: 97 }, document_causal_sliding: { window_size: 100 }, gqa: { window_size: 150 },
  longformer: { one_side: 60, globals: 16 }, minference_a_shape: { n_init: 16, n_local: 128 },
  minference_vertical_slash: { vertical: 20, slash: 150 }, prefix_lm: { prefix: 100 }, streaming_llm: { recent: 150 },
  dilated: { w: 150 }, sparsek: { window_size: 64, kept_blocks: 2 }, seer_attention: { budget_blocks: 2 },
  s2_attention: { local: 2, stride: 2 }, s2_hybrid: { local: 2, stride: 2 },
};

function irFor(pattern: string, sizes: Partial<Sizes>, set: Record<string, number> = {}): IrProgram | null {
  const file = join('patterns', `${pattern}.attn`);
  const { ir } = compileToIr(readFileSync(file, 'utf8'), { file, readFile: nodeReadFile, sizes, set });
  return ir;
}

/** First size choice the pattern accepts (some fix H or Hkv), with and without the small overrides. */
function irAtSmallSizes(pattern: string, tries: Partial<Sizes>[]): { ir: IrProgram; set: Record<string, number> } | null {
  for (const set of [SMALL[pattern] ?? {}, {}]) for (const t of tries) {
    const ir = irFor(pattern, t, set);
    if (ir) return { ir, set };
  }
  return null;
}

function emit(ir: IrProgram, target: Target, dir: string, opts: { headDims?: number[]; tile?: Tile } = {}) {
  const plan = analysedCompileOptions(ir, target === 'flex' ? 'cuda' : target, { tile: opts.tile });
  const result = compile(ir, {
    target, tile: plan.tile, dtypes: ['bf16'], headDims: opts.headDims,
    schedule: plan.analysed?.schedule, statistics: plan.analysed?.statistics,
  });
  writeCompileResult(result, dir);
  return { meta: result.metadata, analysis: plan.choice?.analysis };
}

function writeInputs(ir: IrProgram, dir: string, B: number, caseSeed: number) {
  const s = ir.sizes;
  const inputs = exampleInputs(ir, s, caseSeed, B);
  return Object.entries(inputs).map(([n, data]) => {
    const isFloat = data instanceof Float64Array;
    writeFileSync(join(dir, `input_${n}.bin`), isFloat ? new Float32Array(data) : new Int32Array(data as ArrayLike<number>));
    const decl = ir.inputs.find((d) => d.name === n)!;
    const shape = decl.shape.map((d) => (typeof d === 'number' ? d : s[d]));
    return { name: n, file: `input_${n}.bin`, dtype: isFloat ? 'f32' : 'i32', shape: [B, ...shape] };
  });
}

const want = (p: string) => !only.length || only.includes(p);
const patterns = readdirSync('patterns').filter((f) => f.endsWith('.attn')).map((f) => basename(f, '.attn')).sort().filter(want);

// --- check cases: every pattern at a small odd length, GQA where the pattern allows it, B = 2
patterns.forEach((pattern, i) => {
  const base: Partial<Sizes> = pattern === 'chunked_prefill' ? { Nq: 301, Nk: 1100 } : { Nq: 389 };
  const found = irAtSmallSizes(pattern, [{ ...base, H: 4, Hkv: 2 }, { ...base, H: 4, Hkv: 1 }, { ...base, H: 4 }, base]);
  if (!found) { console.log(`${pattern}: does not compile at the check sizes`); return; }
  const { ir, set } = found;
  const dir = join(outRoot, 'check', pattern);
  const { meta } = emit(ir, 'cuda', dir, { headDims: [64, 128] });
  emit(ir, 'flex', join(dir, `${pattern}_flex`));
  const B = 2, caseSeed = (seed + 7919 * i) >>> 0, s = ir.sizes;
  const inputs = writeInputs(ir, dir, B, caseSeed);
  writeFileSync(join(dir, 'case.json'), JSON.stringify({
    pattern, module: meta.pattern, B, H: s.H, Hkv: s.Hkv, Nq: s.Nq, Nk: s.Nk, L: s.L, layer: s.L - 1, seed: caseSeed, set,
    headDims: [64, 128], inputs, tile: `${meta.tile.blockM}x${meta.tile.blockN}`, hasScoreMod: meta.constants.HAS_SCORE_MOD === true,
    backward: meta.backward?.supported ?? false, transposed: meta.backward?.transposedKinds ?? [],
  }, null, 1));
  console.log(`check ${pattern}: H=${s.H}/${s.Hkv} Nq=${s.Nq} Nk=${s.Nk} L=${s.L} tile ${meta.tile.blockM}x${meta.tile.blockN} transposed ${[...new Set(meta.backward?.transposedKinds)].join('+')}`);
});

// --- timing: every static pattern (no run-time input) at 16k, B = 1, H = 16, D = 128 (the sizes of
// bench_emitted.py). GQA patterns keep their group size (16 query heads over 16 * Hkv / H KV heads);
// chunked prefill times a 2048-query chunk at the end of 16k keys; multi-layer patterns whose
// first layer is a plain pattern timed on its own (dilated, s2_hybrid) are timed at their last
// layer, the others at layer 0. `--bench a,b` picks some.
const N = Number(arg('--bench-n', '16384'));
const benchOnly = arg('--bench', '').split(',').filter(Boolean);
const LAST_LAYER = new Set(['dilated', 's2_hybrid']);
for (const pattern of patterns.filter((p) => !benchOnly.length || benchOnly.includes(p))) {
  const dflt = irFor(pattern, {});
  if (!dflt || dflt.inputs.length || dflt.nodes.some((n) => n.kind === 'topk_blocks')) continue; // run-time patterns: not part of the static timing set
  const gqa = dflt.sizes.Hkv < dflt.sizes.H ? dflt.sizes.H / dflt.sizes.Hkv : 1;
  const lengths = dflt.sizes.Nq !== dflt.sizes.Nk ? { Nq: 2048, Nk: N } : { Nq: N, Nk: N };
  const ir = irFor(pattern, { ...lengths, H: 16, Hkv: 16 / gqa }) ?? irFor(pattern, lengths);
  if (!ir) { console.log(`bench ${pattern}: does not compile`); continue; }
  const t0 = performance.now();
  const dir = join(outRoot, 'bench', `${pattern}_${N}`);
  const { meta, analysis } = emit(ir, 'cuda', dir, { headDims: [128] });
  emit(ir, 'flex', `${dir}_flex`);
  const s = ir.sizes;
  const layer = LAST_LAYER.has(pattern) ? s.L - 1 : 0;
  // the timed layer's density (the metadata's is over every layer)
  // (the tile choice's analysis, else one at the module's tile)
  const { report } = analysis ?? analyze(ir, { tile: { bq: meta.tile.blockM, bk: meta.tile.blockN }, checks: false, transposed: false });
  const density = report.classes.reduce((a, c) => a + c.density * c.members.filter((m) => m.l === layer).length, 0) / s.H;
  writeFileSync(join(dir, 'case.json'), JSON.stringify({
    pattern, module: meta.pattern, N, Nq: s.Nq, Nk: s.Nk, H: s.H, Hkv: s.Hkv, layer, tile: `${meta.tile.blockM}x${meta.tile.blockN}`,
    density, transposed: meta.backward?.transposedKinds ?? [], hasScoreMod: meta.constants.HAS_SCORE_MOD === true,
  }, null, 1));
  console.log(`bench ${pattern}_${N}: Nq=${s.Nq} Nk=${s.Nk} H=${s.H}/${s.Hkv} L${layer} tile ${meta.tile.blockM}x${meta.tile.blockN} `
    + `density ${(density * 100).toFixed(1)}%, ${(performance.now() - t0).toFixed(0)} ms`);
}

// --- training: the modules bench/gpu/train/train_lm.py loads (8 heads of D = 64, seq 2048)
const SEQ = Number(arg('--train-seq', '2048'));
for (const [pattern, set] of [['sliding_window', { window: 256 }], ['s2_attention', {}]] as const) {
  if (!want(pattern)) continue;
  const ir = irFor(pattern, { Nq: SEQ, Nk: SEQ, H: 8, Hkv: 8, L: 1 }, set);
  if (!ir) { console.log(`train ${pattern}: does not compile`); continue; }
  const dir = join(outRoot, 'train', pattern);
  const { meta } = emit(ir, 'cuda', dir, { headDims: [64] });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'case.json'), JSON.stringify({ pattern, module: meta.pattern, N: SEQ, H: 8, set, density: meta.statistics?.density ?? null }, null, 1));
  console.log(`train ${pattern}: N=${SEQ} H=8 D=64 tile ${meta.tile.blockM}x${meta.tile.blockN} density ${((meta.statistics?.density ?? 1) * 100).toFixed(1)}%`);
}
