// Sliding window with an ALiBi-like score_mod (closed-form schedule that skips leading key
// tiles) on lavapipe against the float64 oracle; MQA (Hkv = 1) and GQA, both head dims.
import { defaultBlockN, type ElemType } from '../../codegen/wgsl/runtime/attention_fwd.ts';
import { slidingWindow } from './helpers/patterns.ts';
import type { AttentionProblem } from './helpers/reference.ts';
import { attentionSuite, type NamedCase } from './helpers/suite.ts';

const WINDOW = 20;

const problem = (headDim: number, kvHeads: number): AttentionProblem => ({
  batch: 2,
  heads: 4,
  kvHeads,
  qLen: 77,
  kLen: 77,
  headDim,
  scale: 1 / Math.sqrt(headDim),
  layer: 0,
});

const configs: { headDim: number; elem: ElemType; subgroups: boolean; kvHeads: number }[] = [
  { headDim: 64, elem: 'f32', subgroups: true, kvHeads: 1 },
  { headDim: 64, elem: 'f16', subgroups: false, kvHeads: 2 },
  { headDim: 128, elem: 'f32', subgroups: false, kvHeads: 1 },
  { headDim: 128, elem: 'f16', subgroups: true, kvHeads: 2 },
];

const cases: NamedCase[] = configs.map(({ headDim, elem, subgroups, kvHeads }) => {
  const tiles = { blockM: 16, blockN: defaultBlockN(16, headDim), headDim };
  return {
    name: `window ${WINDOW}, D=${headDim} ${elem} ${subgroups ? 'subgroup' : 'workgroup'} reduction, H=4 Hkv=${kvHeads} N=77`,
    pattern: () => slidingWindow(tiles, WINDOW),
    problem: problem(headDim, kvHeads),
    tiles,
    elem,
    subgroups,
  } satisfies NamedCase;
});

attentionSuite('attention-window.test.ts', 'WGSL attention: sliding window + score_mod on WebGPU', cases, 1_200_000);
