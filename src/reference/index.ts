// The reference (oracle) layer: element-wise masks, the SPEC's static random tables, runtime
// helpers (lsh, top-k blocks, membership) and float64 attention. Browser-safe.
export { evalMask, evalHeadLevel, effectiveSizes, type EvalOptions, type MaskEvaluator } from './mask.ts';
export { renderMaskText, maskLines, maskRows, legend, density, type HeadMask } from './picture.ts';
export { attentionBackwardReference, attentionReference, type AttentionGradients, type AttentionProblem, type AttentionResult } from './attention.ts';
export { randomBlocksChosen, randomBlocksTable, randomBlocksState, randomBlocksCandidates, type RandomBlocksSpec } from './random.ts';
export { lshBuckets, lshEntry, lshRotation } from './lsh.ts';
export { topkBlocksTable, pooledMeans } from './topk.ts';
export { fmix32, xorshift32 } from './u32.ts';
export { floorDiv, floorMod, roundHalfAway, clampIndex, ceilDiv } from './int.ts';
export type { QkData, RuntimeInputs } from './runtime.ts';
export * from './inputs.ts';
