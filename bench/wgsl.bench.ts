// Sparse patterns vs the same compiler's dense causal kernel, emitted WGSL executed on WebGPU
// (lavapipe by default). Not a vitest file; run with
//   npx tsx bench/wgsl.bench.ts [--n 4096] [--heads 1] [--dim 64] [--rounds 3] [--runs 2] [--adapter software|auto] [pattern ...]
// Prints a markdown table: median time per run (timestamp queries), speed-up over dense causal,
// and the tile densities (visited tiles / all tiles) that bound it. The kernels are timed in
// round-robin rounds (`--runs` timed runs each per round), so load that drifts on a shared
// machine hits every kernel alike.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chooseVariant } from '../codegen/wgsl/runtime/attention_fwd.ts';
import { compileToIr } from '../src/api.ts';
import { nodeReadFile } from '../src/node.ts';
import { randomQkv } from '../src/reference/inputs.ts';
import { withNodeGpu } from '../src/webgpu/node.ts';
import { buildPatternPlan } from '../src/webgpu/pattern.ts';
import { runPlan } from '../src/webgpu/run.ts';
import { compileForRun } from '../src/webgpu/runPattern.ts';
import { median, parseBenchArgs, PATTERNS, wgslSources } from './wgslBenchSetup.ts';

const { N, H, D, runs, rounds, adapter, names } = parseBenchArgs(['sliding_window', 's2_attention', 'bigbird', 'streaming_llm']);
const sources = wgslSources();

function load(name: string) {
  const file = join(PATTERNS, `${name}.attn`);
  const { ir, diagnostics } = compileToIr(readFileSync(file, 'utf8'), { file, readFile: nodeReadFile, sizes: { Nq: N, Nk: N, H, Hkv: H, L: 1 } });
  if (!ir) throw new Error(`${name}: ${diagnostics.map((d) => d.message).join('; ')}`);
  return compileForRun(ir, D);
}

await withNodeGpu({ adapter }, async (session) => {
  const variant = chooseVariant(session.capabilities, 'f32');
  console.log(`adapter: ${session.adapterName} (${session.adapterKind}); B=1 H=${H} N=${N} D=${D} f32, ` +
    `${variant.subgroups ? 'subgroup' : 'workgroup'} row reduction; ${rounds} round-robin rounds of ${runs} timed runs`);
  const qkv = randomQkv({ Nq: N, Nk: N, H, Hkv: H }, D, 1, 1);
  const q = Float32Array.from(qkv.q), k = Float32Array.from(qkv.k), v = Float32Array.from(qkv.v);
  const kernels = [{ name: 'causal', c: load('causal'), ms: [] as number[] }, ...names.map((name) => ({ name, c: load(name), ms: [] as number[] }))];
  let method = '';
  for (let round = 0; round < rounds; round++) {
    for (const kern of kernels) {
      const built = buildPatternPlan(sources, { compiled: kern.c.wgsl, headDim: D, batch: 1, layer: 0, variant, q, k, v });
      const t = (await runPlan(session, built.plan, { timedRuns: runs })).timing!;
      kern.ms.push(...t.runsMs);
      method = t.method;
      console.error(`round ${round + 1}/${rounds} ${kern.name}: ${t.runsMs.map((x) => x.toFixed(0)).join(', ')} ms`);
    }
  }
  const dense = kernels[0]!;
  const denseMs = median(dense.ms);
  const rows = kernels.map((kern) => {
    const d = kern.c.density!;
    const ms = median(kern.ms);
    return `| ${kern.name === 'causal' ? 'causal (dense)' : kern.name} | ${(d * 100).toFixed(1)}% | ${ms.toFixed(0)} | ${(denseMs / ms).toFixed(2)} | ${(1 / d).toFixed(2)} | ${(dense.c.density! / d).toFixed(2)} |`;
  });
  console.log(`timing: ${method}, median of ${rounds * runs} runs per kernel`);
  console.log('| pattern | density (tiles) | median ms | speed-up vs causal | 1/density | causal density / density |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
});
