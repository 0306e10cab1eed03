// Prepares the GPU check and benchmark of the EMITTED kernels (every file in patterns/):
// compiles each pattern to CUDA (and FlexAttention for the benchmark) on this machine, draws
// fresh random inputs, and computes the float64 reference output with src/reference (the
// oracle), so the GPU machine only builds the cubins, runs and compares.
//
//   npx tsx bench/gpu/emitted/prepare.ts [--seed N] [--out bench/gpu/emitted/build]
//       [--only p1,p2] [--no-bench] [--bench-sizes 16384,32768] [--skip-check c1,c2]
//
// What travels with a GPU call is limited to 64 MiB (with build_bwd, about 10 MB): all check
// cases and four bench sizes come to about 90 MB, so pick with --bench-sizes and --skip-check
// (case names as in build/check, e.g. sliding_window__n389); run 8 carried 58 MB.
//
// Output: build/check/<case>/ (emitted module + q/k/v/inputs/reference) and
// build/bench/<pattern>_<N>/ (emitted CUDA module) + build/bench/<pattern>_<N>_flex/.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compile, type Target } from '../../../codegen/index.ts';
import { scheduleFromAnalysis } from '../../../codegen/lower/fromAnalysis.ts';
import { lowerPattern } from '../../../codegen/lower/pattern.ts';
import { permuteProblem } from '../../../codegen/lower/permutationHost.ts';
import { buildRows, scheduleBuffer, staticBuffers, withSummaries, type Buffers } from '../../../codegen/lower/runtimeHost.ts';
import { compileToIr } from '../../../src/api.ts';
import { analyze } from '../../../src/analysis/index.ts';
import type { IrProgram, Sizes } from '../../../src/ir/schema.ts';
import { nodeReadFile } from '../../../src/node.ts';
import { attentionReference } from '../../../src/reference/attention.ts';
import { exampleInputs, randomQkv } from '../../../src/reference/inputs.ts';
import { writeCompileResult } from '../../../src/cli/commands/compile.ts';
import { toHalfBits } from '../../../src/webgpu/f16.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : dflt;
};
const seed = Number(arg('--seed', String(Date.now() % 1_000_000_007)));
const outRoot = arg('--out', 'bench/gpu/emitted/build');
const only = arg('--only', '');
const skipBench = args.includes('--no-bench');
const skipCheck = new Set(arg('--skip-check', '').split(',').filter(Boolean));
rmSync(outRoot, { recursive: true, force: true });

type Dtype = 'bf16' | 'fp16';
interface CheckCase {
  pattern: string; tag: string; Nq: number; heads?: number; kvHeads?: number; kvSeq?: number;
  B: number; D: 64 | 128; dtype: Dtype; tile?: string;
}

/** Check cases: every pattern at an odd length, plus a few extra shapes where they matter. */
function checkCases(patterns: string[]): CheckCase[] {
  const cases: CheckCase[] = patterns.map((p) => ({
    pattern: p, tag: 'n389', Nq: 389, heads: 2, B: 1, D: 128, dtype: 'bf16',
    ...(p === 'chunked_prefill' ? { kvSeq: 1100 } : {}),
  }));
  cases.push({ pattern: 'causal', tag: 'fp16_d64_b2', Nq: 601, heads: 4, kvHeads: 2, B: 2, D: 64, dtype: 'fp16' });
  cases.push({ pattern: 's2_attention', tag: 'tile64', Nq: 700, heads: 4, B: 1, D: 128, dtype: 'bf16', tile: '128x64' });
  cases.push({ pattern: 'moa', tag: 'tile64', Nq: 1100, heads: 4, B: 1, D: 128, dtype: 'bf16', tile: '128x64' });
  cases.push({ pattern: 'gqa', tag: 'fp16_d64', Nq: 700, heads: 8, kvHeads: 2, B: 1, D: 64, dtype: 'fp16' });
  cases.push({ pattern: 'packed_documents', tag: 'b2', Nq: 600, heads: 2, B: 2, D: 64, dtype: 'bf16' });
  cases.push({ pattern: 'chunked_prefill', tag: 'n300', Nq: 300, kvSeq: 1000, heads: 2, B: 1, D: 64, dtype: 'fp16' });
  // runtime schedules over more tiles: documents at 128x64 (batch 2), top-k over several blocks
  cases.push({ pattern: 'document_causal_sliding', tag: 'n1500_tile64_b2', Nq: 1500, heads: 2, B: 2, D: 128, dtype: 'bf16', tile: '128x64' });
  cases.push({ pattern: 'sparsek', tag: 'n1100_tile64', Nq: 1100, heads: 2, B: 1, D: 64, dtype: 'fp16', tile: '128x64' });
  // row permutation (SCFA): sorted rows over several tiles, GQA (keys expanded per query head
  // for scfa_qk_drop), batch 2; the schedule is checked exactly for given keep flags
  cases.push({ pattern: 'scfa_hash', tag: 'n2001_gqa_b2', Nq: 2001, heads: 4, kvHeads: 2, B: 2, D: 64, dtype: 'fp16', tile: '128x64' });
  cases.push({ pattern: 'scfa_qk_drop', tag: 'n1500_gqa_b2', Nq: 1500, heads: 4, kvHeads: 2, B: 2, D: 64, dtype: 'bf16' });
  return cases;
}

const BENCH_PATTERNS: { pattern: string; tile?: string; name?: string }[] = [
  { pattern: 'causal' }, { pattern: 'sliding_window' }, { pattern: 's2_attention', tile: '128x64' },
  // BigBird at the tile `attnc compile` chooses for it at these sizes (chooseCudaTile: 128x64)
  { pattern: 'bigbird', tile: '128x64' }, { pattern: 'packed_documents' }, { pattern: 'moa' }, { pattern: 'sparsek' },
  // MoA's per-head windows end inside 128-key tiles: the 64-key tile as a variant
  { pattern: 'moa', tile: '128x64', name: 'moa_tile64' },
];
const BENCH_SIZES = arg('--bench-sizes', '8192,16384,32768,65536').split(',').map(Number);

function irFor(pattern: string, sizes: Partial<Sizes>): IrProgram | null {
  const file = join('patterns', `${pattern}.attn`);
  const source = readFileSync(file, 'utf8');
  const { ir } = compileToIr(source, { file, readFile: nodeReadFile, sizes });
  return ir;
}

function caseTile(tileText: string | undefined) {
  const [bm, bn] = (tileText ?? '128x128').split('x').map(Number) as [number, number];
  return { blockM: bm, blockN: bn };
}

/**
 * The runtime schedule the module must build (codegen/lower/runtimeHost.ts: the same lowering
 * evaluated on the host) when every runtime buffer is a given input; `structure` when it also
 * reads device selections (top-k, lsh), which check_emitted.py then checks for shape only.
 */
function expectedSchedule(ir: IrProgram, tileText: string | undefined, given: Record<string, ArrayLike<number>>, B: number, layer: number, dir: string, qkv: { q: Float64Array; k: Float64Array; v: Float64Array }, D: number) {
  const tile = caseTile(tileText);
  const analysed = scheduleFromAnalysis(ir, ir.sizes, tile);
  const p = lowerPattern(ir, { tile, schedule: analysed?.schedule });
  const rt = p.runtime;
  if (!rt) return undefined;
  // row permutation: the sorted rows' schedule, from the host's sort of the same inputs; the
  // unpermuted envelope (what the kernel would visit without the sort) for the report
  const permuted = p.permutation ? permuteProblem(ir, p.permutation, given, qkv, B, D) : undefined;
  const inputs = permuted?.inputs ?? given;
  const unpermuted = p.permutation ? scheduleFromAnalysis(ir, ir.sizes, tile, { permute: false }) : undefined;
  const unpermutedEnvelope = unpermuted ? (B * (unpermuted.statistics.tiles.full + unpermuted.statistics.tiles.partial)) / p.sizes.L : undefined;
  const shape = { maxTiles: rt.maxTiles, numQueryTiles: p.numQueryTiles, numKeyTiles: p.numKeyTiles, H: p.sizes.H, permuted: !!p.permutation, ...(unpermutedEnvelope ? { unpermutedEnvelope } : {}) };
  const data: Buffers = staticBuffers(p);
  const bstride: Record<string, number> = {};
  for (const b of p.buffers) {
    if (b.source.kind !== 'input' && b.source.kind !== 'topk_blocks') continue;
    const name = b.source.kind === 'input' ? p.ir.inputs[b.source.inputIndex]!.name : '';
    const lsh = b.source.kind === 'input' && p.ir.inputs[b.source.inputIndex]!.source.kind === 'lsh';
    // lsh buckets (and what is sorted by them) are the device's: near-ties may differ
    if (b.source.kind === 'topk_blocks' || (!(name in inputs) && !lsh) || (permuted && p.permutation!.query.keyKind === 'bucket')) return { ...shape, check: 'structure' as const };
    if (!(name in inputs)) continue; // an lsh source only the sort reads
    data[b.name] = inputs[name]!;
    bstride[b.name] = inputs[name]!.length === b.length ? 0 : b.length;
  }
  const summed = withSummaries(p, data, bstride, B);
  const rows = buildRows(p, summed.data, summed.bstride, B, layer);
  writeFileSync(join(dir, 'ref_schedule.i32'), scheduleBuffer(p, rows));
  let visited = 0;
  for (const perHead of rows) for (const perQt of perHead) for (const row of perQt) visited += row.length;
  // the envelope's tiles of one layer (the statistics count every (l, h)), per batch entry
  const envelope = (B * (analysed!.statistics.tiles.full + analysed!.statistics.tiles.partial)) / p.sizes.L;
  return { ...shape, check: 'exact' as const, file: 'ref_schedule.i32', visited, envelope };
}

function emit(ir: IrProgram, target: Target, tileText: string | undefined, dtype: Dtype | undefined, D: number | undefined, dir: string) {
  const tile = target === 'cuda' || target === 'flex' ? caseTile(tileText) : undefined;
  const analysed = scheduleFromAnalysis(ir, ir.sizes, tile!);
  const result = compile(ir, {
    target, tile, dtypes: dtype ? [dtype] : undefined, headDims: D ? [D] : undefined,
    schedule: analysed?.schedule, statistics: analysed?.statistics,
  });
  writeCompileResult(result, dir);
  return result.metadata;
}

function toBits(x: Float64Array, dtype: Dtype): { bits: Uint16Array; rounded: Float64Array } {
  const bits = new Uint16Array(x.length);
  const rounded = new Float64Array(x.length);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let i = 0; i < x.length; i++) {
    if (dtype === 'bf16') {
      f32[0] = x[i]!;
      const b = u32[0]!;
      const r = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
      bits[i] = r;
      u32[0] = r << 16;
      rounded[i] = f32[0];
    } else {
      const h = toHalfBits(x[i]!);
      bits[i] = h;
      const sign = h & 0x8000 ? -1 : 1, e = (h >>> 10) & 0x1f, m = h & 0x3ff;
      rounded[i] = e === 0 ? sign * m * 2 ** -24 : sign * (1 + m / 1024) * 2 ** (e - 15);
    }
  }
  return { bits, rounded };
}

function prepareCheck(c: CheckCase, index: number): string {
  const base: Partial<Sizes> = { Nq: c.Nq };
  if (c.kvSeq) base.Nk = c.kvSeq;
  // small head counts keep the float64 reference cheap; patterns that fix Hkv get a GQA pair
  const tries: Partial<Sizes>[] = [
    { ...base, ...(c.heads ? { H: c.heads } : {}), ...(c.kvHeads ? { Hkv: c.kvHeads } : {}) },
    { ...base, H: 4, Hkv: 2 }, { ...base, H: 4, Hkv: 1 }, base,
  ];
  let ir: IrProgram | null = null;
  for (const t of tries) if (!ir) ir = irFor(c.pattern, t);
  if (!ir) return `${c.pattern}/${c.tag}: does not compile at the check sizes`;
  const name = `${c.pattern}__${c.tag}`;
  const dir = join(outRoot, 'check', name);
  const meta = emit(ir, 'cuda', c.tile, c.dtype, c.D, dir);
  // row-permuted patterns at the larger sizes: the same kernel over unsorted rows beside it
  // (check_emitted.py checks it too and times the two)
  let unsorted: string | undefined;
  if (meta.permutation && c.tag !== 'n389') {
    const tile = caseTile(c.tile);
    const a = scheduleFromAnalysis(ir, ir.sizes, tile, { permute: false });
    const result = compile(ir, { target: 'cuda', tile, dtypes: [c.dtype], headDims: [c.D], schedule: a?.schedule, statistics: a?.statistics, permute: false });
    writeCompileResult(result, join(dir, 'unsorted'));
    unsorted = `unsorted/${result.metadata.pattern}.py`;
  }
  const s = ir.sizes;
  const caseSeed = (seed + index * 7919) >>> 0;
  const raw = randomQkv(s, c.D, c.B, caseSeed);
  const q = toBits(raw.q, c.dtype), k = toBits(raw.k, c.dtype), v = toBits(raw.v, c.dtype);
  const inputs = exampleInputs(ir, s, caseSeed ^ 0x5bd1e995, c.B);
  const t0 = performance.now();
  const layer = s.L > 1 ? s.L - 1 : 0;
  const ref = attentionReference({ q: q.rounded, k: k.rounded, v: v.rounded, B: c.B, H: s.H, Hkv: s.Hkv, Nq: s.Nq, Nk: s.Nk, D: c.D, ir, inputs, layer });
  const refMs = performance.now() - t0;
  writeFileSync(join(dir, 'q.u16'), q.bits); writeFileSync(join(dir, 'k.u16'), k.bits); writeFileSync(join(dir, 'v.u16'), v.bits);
  writeFileSync(join(dir, 'ref_out.f32'), new Float32Array(ref.out));
  writeFileSync(join(dir, 'ref_lse.f32'), new Float32Array(ref.lse));
  const inputFiles = Object.entries(inputs).map(([n, data]) => {
    const isFloat = data instanceof Float64Array;
    writeFileSync(join(dir, `input_${n}.bin`), isFloat ? new Float32Array(data) : new Int32Array(data as ArrayLike<number>));
    const decl = ir.inputs.find((d) => d.name === n)!;
    const shape = decl.shape.map((d) => (typeof d === 'number' ? d : s[d]));
    return { name: n, file: `input_${n}.bin`, dtype: isFloat ? 'f32' : 'i32', shape: [c.B, ...shape] };
  });
  let empty = 0;
  for (const x of ref.lse) if (x === -Infinity) empty++;
  const schedule = expectedSchedule(ir, c.tile, inputs, c.B, layer, dir, { q: q.rounded, k: k.rounded, v: v.rounded }, c.D);
  writeFileSync(join(dir, 'case.json'), JSON.stringify({
    pattern: c.pattern, tag: c.tag, module: meta.pattern, dtype: c.dtype, D: c.D, B: c.B,
    H: s.H, Hkv: s.Hkv, Nq: s.Nq, Nk: s.Nk, layer, seed: caseSeed, inputs: inputFiles, emptyRows: empty,
    tile: `${meta.tile.blockM}x${meta.tile.blockN}`, ...(schedule ? { schedule } : {}), ...(unsorted ? { unsorted } : {}),
  }, null, 1));
  const unperm = schedule?.unpermutedEnvelope ? ` (sorted rows; unpermuted envelope ${schedule.unpermutedEnvelope})` : '';
  const sched = schedule?.check === 'exact' ? `; runtime schedule ${schedule.visited} of ${schedule.envelope} envelope tiles${unperm}` : schedule ? `; runtime schedule (structure check)${unperm}` : '';
  return `${name}${sched}: H=${s.H} Hkv=${s.Hkv} Nq=${s.Nq} Nk=${s.Nk} D=${c.D} ${c.dtype} B=${c.B} empty rows ${empty}; reference ${refMs.toFixed(0)} ms`;
}

const patterns = readdirSync('patterns').filter((f) => f.endsWith('.attn')).map((f) => basename(f, '.attn')).sort()
  .filter((p) => !only || only.split(',').includes(p));
console.log(`seed ${seed}`);
checkCases(patterns).forEach((c, i) => {
  if (only && !only.split(',').includes(c.pattern)) return;
  if (skipCheck.has(`${c.pattern}__${c.tag}`)) return;
  console.log(prepareCheck(c, i));
});
if (!skipBench) {
  for (const { pattern, tile, name } of BENCH_PATTERNS) {
    if (only && !only.split(',').includes(pattern)) continue;
    for (const N of BENCH_SIZES) {
      let ir = irFor(pattern, { Nq: N, H: 16, Hkv: 16 });
      if (!ir) ir = irFor(pattern, { Nq: N });
      if (!ir) { console.log(`bench ${pattern} ${N}: does not compile`); continue; }
      const t0 = performance.now();
      const dir = join(outRoot, 'bench', `${name ?? pattern}_${N}`);
      const meta = emit(ir, 'cuda', tile, 'bf16', 128, dir);
      const ms = performance.now() - t0;
      emit(ir, 'flex', tile, undefined, undefined, `${dir}_flex`);
      const report = analyze(ir, { tile: { bq: 128, bk: 128 }, transposed: false, checks: false }).report;
      writeFileSync(join(dir, 'case.json'), JSON.stringify({
        pattern, module: meta.pattern, N, H: ir.sizes.H, Hkv: ir.sizes.Hkv, Nk: ir.sizes.Nk, compileMs: ms,
        tile: `${meta.tile.blockM}x${meta.tile.blockN}`, statistics: meta.statistics,
        density: report.classes.some((c) => c.runtime) ? null : report.totals.density, densityExact: report.totals.allowedExact,
      }, null, 1));
      console.log(`bench ${pattern}_${N}: H=${ir.sizes.H} tile ${meta.tile.blockM}x${meta.tile.blockN}, analysis+emit ${ms.toFixed(0)} ms`);
    }
  }
}
