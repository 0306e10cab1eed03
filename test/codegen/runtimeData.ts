// Random runtime buffers for tests of runtime-scheduled patterns: the given inputs (documents,
// keep flags, index lists), small bucket ids for lsh inputs and top-k rows with padding and
// duplicates, B entries each, plus the summaries the schedule builder reads.
import type { LoweredPattern } from '../../codegen/lower/pattern.ts';
import { randomTopk, staticBuffers, withSummaries, type Buffers } from '../../codegen/lower/runtimeHost.ts';
import type { IrProgram } from '../../src/ir/schema.ts';
import { bucketIds, exampleInputs, Rng } from '../../src/reference/inputs.ts';

export function randomRuntime(ir: IrProgram, p: LoweredPattern, B: number, seed: number): { data: Buffers; bstride: Record<string, number> } {
  const rng = new Rng(seed);
  const given = exampleInputs(ir, p.sizes, seed, B);
  const data: Buffers = staticBuffers(p);
  const bstride: Record<string, number> = {};
  for (const b of p.buffers) {
    if (b.source.kind === 'input') {
      const name = b.source.userName;
      data[b.name] = given[name] ?? bucketIds(B * b.length, 4, rng); // lsh inputs: small bucket ids
      bstride[b.name] = b.length;
    } else if (b.source.kind === 'topk_blocks') {
      data[b.name] = randomTopk(b, B, rng, Math.ceil(p.sizes.Nk / b.source.block), b.source.causal);
      bstride[b.name] = b.length;
    }
  }
  return withSummaries(p, data, bstride, B);
}
