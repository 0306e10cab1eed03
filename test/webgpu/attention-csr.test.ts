// A random block-sparse pattern scheduled through CSR tables in storage buffers (group 1),
// visited in shuffled order, on lavapipe against the float64 oracle. It has rows with no
// allowed key (a query tile with no key tile, and row 5 masked in every PARTIAL tile), so
// O = 0 and LSE = -inf are checked; layer 1 of 2 selects the tables; Nq != Nk.
import { defaultBlockN, type ElemType } from '../../codegen/wgsl/runtime/attention_fwd.ts';
import { csrTables } from './helpers/patterns.ts';
import type { AttentionProblem } from './helpers/reference.ts';
import { attentionSuite, type NamedCase } from './helpers/suite.ts';

const problem = (headDim: number): AttentionProblem => ({
  batch: 2,
  heads: 4,
  kvHeads: 2,
  qLen: 77,
  kLen: 90,
  headDim,
  scale: 1 / Math.sqrt(headDim),
  layer: 1,
});

const configs: { headDim: number; elem: ElemType; subgroups: boolean }[] = [
  { headDim: 64, elem: 'f32', subgroups: false },
  { headDim: 64, elem: 'f16', subgroups: true },
  { headDim: 128, elem: 'f32', subgroups: true },
  { headDim: 128, elem: 'f16', subgroups: false },
];

const cases: NamedCase[] = configs.map(({ headDim, elem, subgroups }) => {
  const tiles = { blockM: 16, blockN: defaultBlockN(16, headDim), headDim };
  const p = problem(headDim);
  return {
    name: `CSR tables, D=${headDim} ${elem} ${subgroups ? 'subgroup' : 'workgroup'} reduction, H=4 Hkv=2 Nq=77 Nk=90, layer 1`,
    pattern: (random: () => number) => csrTables(tiles, p, 2, random),
    problem: p,
    tiles,
    elem,
    subgroups,
    expectEmptyRows: true,
  } satisfies NamedCase;
});

attentionSuite('attention-csr.test.ts', 'WGSL attention: CSR block-sparse tables on WebGPU', cases, 1_200_000);
