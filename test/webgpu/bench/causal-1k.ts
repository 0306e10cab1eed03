// Times the WGSL attention kernel on a 1k dense causal problem and checks it against the
// float64 oracle. Not a vitest file; run with
//   npx tsx test/webgpu/bench/causal-1k.ts [--n 1024] [--heads 8] [--dim 64] [--runs 5] [--adapter software|auto] [--no-check]
// --no-check skips the float64 reference (minutes of CPU at large sizes).
import { parseArgs } from 'node:util';
import { chooseVariant, defaultBlockN, type ElemType } from '../../../codegen/wgsl/runtime/attention_fwd.ts';
import { loadAttentionSkeleton } from '../../../codegen/wgsl/runtime/load.ts';
import { buildAttentionPlan, decodeAttentionOutputs, type AttentionLaunch } from '../../../src/webgpu/attention.ts';
import { withNodeGpu, type NodeAdapter } from '../../../src/webgpu/node.ts';
import { runPlan } from '../../../src/webgpu/run.ts';
import { fromHalfBits, toHalfBits } from '../../../src/webgpu/f16.ts';
import { randomTensor, seededRandom, freshSeed } from '../helpers/harness.ts';
import { denseCausal } from '../helpers/patterns.ts';
import { referenceAttention } from '../helpers/reference.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1024' },
    heads: { type: 'string', default: '8' },
    dim: { type: 'string', default: '64' },
    runs: { type: 'string', default: '5' },
    adapter: { type: 'string', default: 'software' },
    'no-check': { type: 'boolean', default: false },
  },
});
const n = Number(values.n);
const heads = Number(values.heads);
const headDim = Number(values.dim);
const runs = Number(values.runs);
const tiles = { blockM: 16, blockN: defaultBlockN(16, headDim), headDim };
const pattern = denseCausal(tiles);
// Multiply-adds of QK^T and PV over allowed (q, k) pairs, two FLOPs each.
const flops = 4 * headDim * heads * ((n * (n + 1)) / 2);

await withNodeGpu({ adapter: values.adapter as NodeAdapter }, async (session) => {
  console.log(`adapter: ${session.adapterName} (${session.adapterKind})`);
  console.log(`problem: dense causal, B=1 H=${heads} Hkv=${heads} N=${n} D=${headDim}, tiles ${tiles.blockM}x${tiles.blockN}, ${(flops / 1e9).toFixed(3)} GFLOP`);
  const seed = freshSeed();
  const random = seededRandom(seed);
  const q = randomTensor(heads * n * headDim, random);
  const k = randomTensor(heads * n * headDim, random);
  const v = randomTensor(heads * n * headDim, random);
  const problem = { batch: 1, heads, kvHeads: heads, qLen: n, kLen: n, headDim, scale: 1 / Math.sqrt(headDim), layer: 0 };
  const references = new Map<ElemType, ReturnType<typeof referenceAttention>>();
  for (const elem of ['f32', 'f16'] as const) {
    if (elem === 'f16' && !session.capabilities.f16) continue;
    for (const subgroups of [true, false]) {
      const variant = chooseVariant(session.capabilities, elem, subgroups);
      if (variant.subgroups !== subgroups) continue;
      const launch: AttentionLaunch = { label: 'causal-1k', prelude: pattern.prelude, tiles, params: problem, variant, q, k, v };
      const started = performance.now();
      const result = await runPlan(session, buildAttentionPlan(loadAttentionSkeleton(), launch), { timedRuns: runs });
      const total = performance.now() - started;
      const { o } = decodeAttentionOutputs(result.outputs, launch);
      const t = result.timing!;
      const timing =
        `${elem} ${subgroups ? 'subgroup ' : 'workgroup'} reduction: median ${t.medianMs.toFixed(2)} ms (${t.method}, ${runs} runs: ${t.runsMs.map((x) => x.toFixed(2)).join(' ')}), ` +
        `${(flops / (t.medianMs * 1e6)).toFixed(2)} GFLOP/s, first call incl. compile ${total.toFixed(0)} ms`;
      if (values['no-check']) {
        console.log(timing);
        continue;
      }
      if (!references.has(elem)) {
        const seen = (x: Float32Array) => (elem === 'f16' ? x.map((e) => fromHalfBits(toHalfBits(e))) : x);
        references.set(elem, referenceAttention(problem, seen(q), seen(k), seen(v), pattern.allowed));
      }
      const ref = references.get(elem)!;
      let maxErr = 0;
      for (let i = 0; i < o.length; i++) maxErr = Math.max(maxErr, Math.abs(o[i]! - ref.o[i]!) || (Number.isNaN(o[i]) ? Infinity : 0));
      console.log(`${timing}, max |O - ref| ${maxErr.toExponential(2)} (seed ${seed})`);
    }
  }
});
