// Dense causal (closed-form schedule) on lavapipe against the float64 oracle: every variant
// (f32/f16 x subgroup/workgroup reduction) at head dims 64 and 128, ragged 77-long
// sequences, GQA; plus Nq != Nk and a 32-row query tile.
import { defaultBlockN } from '../../codegen/wgsl/runtime/attention_fwd.ts';
import { denseCausal } from './helpers/patterns.ts';
import type { AttentionProblem } from './helpers/reference.ts';
import { attentionSuite, type NamedCase } from './helpers/suite.ts';

const problem = (headDim: number, extra: Partial<AttentionProblem> = {}): AttentionProblem => ({
  batch: 2,
  heads: 4,
  kvHeads: 2,
  qLen: 77,
  kLen: 77,
  headDim,
  scale: 1 / Math.sqrt(headDim),
  layer: 0,
  ...extra,
});

const cases: NamedCase[] = [];
for (const headDim of [64, 128]) {
  for (const elem of ['f32', 'f16'] as const) {
    for (const subgroups of [true, false]) {
      const tiles = { blockM: 16, blockN: defaultBlockN(16, headDim), headDim };
      cases.push({
        name: `D=${headDim} ${elem} ${subgroups ? 'subgroup' : 'workgroup'} reduction, B=2 H=4 Hkv=2 N=77, tiles ${tiles.blockM}x${tiles.blockN}`,
        pattern: () => denseCausal(tiles),
        problem: problem(headDim),
        tiles,
        elem,
        subgroups,
      });
    }
  }
}
cases.push({
  name: 'Nq=50 Nk=77 (top-left causal), D=64 f32 subgroups',
  pattern: () => denseCausal({ blockM: 16, blockN: 16, headDim: 64 }),
  problem: problem(64, { qLen: 50, batch: 1 }),
  tiles: { blockM: 16, blockN: 16, headDim: 64 },
  elem: 'f32',
  subgroups: true,
});
cases.push({
  name: 'BLOCK_M=32 (256 invocations), D=64 f32 subgroups, H=Hkv=2',
  pattern: () => denseCausal({ blockM: 32, blockN: 16, headDim: 64 }),
  problem: problem(64, { heads: 2, kvHeads: 2, batch: 1 }),
  tiles: { blockM: 32, blockN: 16, headDim: 64 },
  elem: 'f32',
  subgroups: true,
});

attentionSuite('attention-causal.test.ts', 'WGSL attention: dense causal on WebGPU', cases, 1_200_000);
