// Correctness sweep of the WGSL attention kernel outside vitest, for adapters CI does not
// have (a real GPU): every pattern x variant x head dim against the float64 oracle. Run with
//   npx tsx test/webgpu/bench/sweep.ts [--adapter auto|software]
// Exits 1 if any case fails.
import { parseArgs } from 'node:util';
import { defaultBlockN, type ElemType } from '../../../codegen/wgsl/runtime/attention_fwd.ts';
import { withNodeGpu, type NodeAdapter } from '../../../src/webgpu/node.ts';
import { describeReport, runAttentionCase } from '../helpers/harness.ts';
import { csrTables, denseCausal, slidingWindow } from '../helpers/patterns.ts';

const { values } = parseArgs({ options: { adapter: { type: 'string', default: 'auto' } } });

const failures = await withNodeGpu({ adapter: values.adapter as NodeAdapter }, async (session) => {
  const c = session.capabilities;
  console.log(`adapter: ${session.adapterName} (${session.adapterKind}); f16=${c.f16} subgroups=${c.subgroups} sizes ${c.subgroupMinSize}..${c.subgroupMaxSize}`);
  let failed = 0;
  for (const headDim of [64, 128]) {
    const tiles = { blockM: 16, blockN: defaultBlockN(16, headDim), headDim };
    const problem = { batch: 2, heads: 4, kvHeads: 2, qLen: 77, kLen: 90, headDim, scale: 1 / Math.sqrt(headDim), layer: 1 };
    const patterns = [
      { name: 'dense causal', make: () => denseCausal(tiles) },
      { name: 'sliding window 20', make: () => slidingWindow(tiles, 20) },
      { name: 'CSR', make: (random: () => number) => csrTables(tiles, problem, 2, random) },
    ];
    for (const pattern of patterns) {
      for (const elem of ['f32', 'f16'] as ElemType[]) {
        if (elem === 'f16' && !c.f16) continue;
        for (const subgroups of [true, false]) {
          if (subgroups && !(c.subgroups && c.subgroupMinSize >= 8)) continue;
          const r = await runAttentionCase(session, { pattern: pattern.make, problem, tiles, elem, subgroups });
          const ok = r.nanO + r.nanLse + r.badO + r.badLse === 0;
          if (!ok) failed++;
          console.log(`${ok ? 'ok  ' : 'FAIL'} ${pattern.name} D=${headDim} ${elem} ${subgroups ? 'subgroup' : 'workgroup'}: ${describeReport(r)}`);
        }
      }
    }
  }
  return failed;
});
console.log(failures === 0 ? 'all cases passed' : `${failures} case(s) failed`);
process.exitCode = failures === 0 ? 0 : 1;
