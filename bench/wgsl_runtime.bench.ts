// Runtime schedules vs their static envelope, emitted WGSL executed on WebGPU (lavapipe by
// default). Not a vitest file; run with
//   npx tsx bench/wgsl_runtime.bench.ts [--n 4096] [--heads 1] [--dim 64] [--rounds 3] [--runs 2] [--adapter software|auto] [pattern ...]
// For each pattern with runtime inputs, the same compile twice: with the runtime schedule
// (summary helpers + schedule builder + attention over the built rows) and with only its static
// envelope (every runtime-dependent tile visited, the mask evaluated element-wise), timed in
// round-robin rounds. The runtime plan's time includes its helper passes. Prints a markdown
// table with visited tiles (the built schedule read back) against the envelope's. Row-permuted
// patterns (scfa_hash, scfa_qk_drop: rows sorted by bucket / keep flag before attention, O and
// LSE scattered back) are timed a third way, with the runtime schedule over unsorted rows; their
// sorted plan's time includes the sort, gather and scatter passes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../codegen/index.ts';
import { scheduleFromAnalysis } from '../codegen/lower/fromAnalysis.ts';
import { chooseVariant, defaultBlockN } from '../codegen/wgsl/runtime/attention_fwd.ts';
import { compileToIr } from '../src/api.ts';
import type { IrProgram } from '../src/ir/schema.ts';
import { nodeReadFile } from '../src/node.ts';
import { exampleInputs, randomQkv } from '../src/reference/inputs.ts';
import { withNodeGpu } from '../src/webgpu/node.ts';
import { buildPatternPlan, decodePatternOutputs, type EmittedWgsl } from '../src/webgpu/pattern.ts';
import { runPlan } from '../src/webgpu/run.ts';
import { median, parseBenchArgs, PATTERNS, wgslSources } from './wgslBenchSetup.ts';

const { N, H, D, runs, rounds, adapter, names } = parseBenchArgs(['sparsek', 'seer_attention', 'packed_documents', 'document_causal_sliding', 'minference_vertical_slash', 'scfa_hash', 'scfa_qk_drop']);
const sources = wgslSources();
/** Settings at the benchmark length: MInference's lists scaled from 128K to N. */
const SET: Record<string, Record<string, number>> = { minference_vertical_slash: { vertical: 32, slash: 64 } };

function irOf(name: string): IrProgram {
  const file = join(PATTERNS, `${name}.attn`);
  const { ir, diagnostics } = compileToIr(readFileSync(file, 'utf8'), { file, readFile: nodeReadFile, set: SET[name] ?? {}, sizes: { Nq: N, Nk: N, H, Hkv: H, L: 1 } });
  if (!ir) throw new Error(`${name}: ${diagnostics.map((d) => d.message).join('; ')}`);
  return ir;
}

/**
 * The pattern compiled with its runtime schedule (over sorted rows where it has a row
 * permutation), with the runtime schedule over unsorted rows, or with only the (unsorted)
 * static envelope.
 */
function compileWith(ir: IrProgram, mode: 'runtime' | 'unsorted' | 'envelope'): { wgsl: EmittedWgsl; envelopeTiles: number } {
  const tile = { blockM: 16, blockN: defaultBlockN(16, D) };
  const permute = mode === 'runtime';
  const a = scheduleFromAnalysis(ir, ir.sizes, tile, { permute })!;
  const schedule = () => {
    const s = a.schedule();
    return mode === 'envelope' ? { ...s, classes: s.classes.map((c) => (c.kind === 'runtime' ? c.envelope : c)) } : s;
  };
  const wgsl = compile(ir, { target: 'wgsl', tile, headDims: [D], schedule, permute });
  const unsorted = permute ? scheduleFromAnalysis(ir, ir.sizes, tile, { permute: false })! : a;
  return { wgsl, envelopeTiles: unsorted.statistics.tiles.full + unsorted.statistics.tiles.partial };
}

await withNodeGpu({ adapter }, async (session) => {
  const variant = chooseVariant(session.capabilities, 'f32');
  console.log(`adapter: ${session.adapterName} (${session.adapterKind}); B=1 H=${H} N=${N} D=${D} f32; ${rounds} round-robin rounds of ${runs} timed runs`);
  const qkv = randomQkv({ Nq: N, Nk: N, H, Hkv: H }, D, 1, 1);
  const q = Float32Array.from(qkv.q), k = Float32Array.from(qkv.k), v = Float32Array.from(qkv.v);
  const rows: string[] = [];
  let method = '';
  for (const name of names) {
    const ir = irOf(name);
    const inputs = exampleInputs(ir, ir.sizes, 7, 1);
    const kinds = [{ label: 'runtime', c: compileWith(ir, 'runtime'), ms: [] as number[] }, { label: 'envelope', c: compileWith(ir, 'envelope'), ms: [] as number[] }];
    const sorted = kinds[0]!.c.wgsl.metadata.permutation !== undefined;
    if (sorted) kinds.push({ label: 'unsorted', c: compileWith(ir, 'unsorted'), ms: [] as number[] });
    // visited tiles of the built schedule (one untimed run, read back)
    const probe = buildPatternPlan(sources, { compiled: kinds[0]!.c.wgsl, headDim: D, batch: 1, layer: 0, variant, q, k, v, inputs, readRuntime: true });
    const out = decodePatternOutputs((await runPlan(session, probe.plan)).outputs, probe);
    const helper = kinds[0]!.c.wgsl.metadata.helpers.find((x) => x.kind === 'schedule_build')!;
    const sched = out.runtime[helper.buffer]!;
    const stride = 1 + helper.maxTiles!;
    let visited = 0;
    for (let r = 0; r < sched.length / stride; r++) visited += sched[r * stride]!;
    for (let round = 0; round < rounds; round++) {
      for (const kind of kinds) {
        const built = buildPatternPlan(sources, { compiled: kind.c.wgsl, headDim: D, batch: 1, layer: 0, variant, q, k, v, inputs });
        const t = (await runPlan(session, built.plan, { timedRuns: runs })).timing!;
        kind.ms.push(...t.runsMs);
        method = t.method;
        console.error(`${name} round ${round + 1}/${rounds} ${kind.label}: ${t.runsMs.map((x) => x.toFixed(0)).join(', ')} ms`);
      }
    }
    const [rt, env, unsorted] = kinds.map((x) => median(x.ms)) as [number, number, number | undefined];
    const envTiles = kinds[0]!.c.envelopeTiles;
    const vsUnsorted = unsorted === undefined ? '-' : `${unsorted.toFixed(0)} (${(unsorted / rt).toFixed(2)}x)`;
    rows.push(`| ${name}${sorted ? ' (sorted rows)' : ''} | ${visited} / ${envTiles} (${((100 * visited) / envTiles).toFixed(0)}%) | ${rt.toFixed(0)} | ${env.toFixed(0)} | ${(env / rt).toFixed(2)} | ${vsUnsorted} |`);
  }
  console.log(`timing: ${method}, median of ${rounds * runs} runs per kernel; runtime = helpers + schedule build + attention`);
  console.log('| pattern | visited tiles / envelope | runtime schedule ms | envelope ms | speed-up | unsorted rows ms (speed-up) |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
});
