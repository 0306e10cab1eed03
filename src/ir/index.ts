// The IR module: schema, lowering, builder and helpers for later stages.
export * from './schema.ts';
export { IrBuilder, irFloorDiv, irFloorMod, compactNodes, nodeChildren } from './builder.ts';
export { lowerProgram } from './lower.ts';
export { irDependsOnRuntime, runtimeFlags, splitRuntime, staticEnvelopes, type RuntimeSplit } from './runtime.ts';
export { formatIr, formatIrExpr, formatIndexList } from './print.ts';
