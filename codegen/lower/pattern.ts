// The backend-neutral lowering of one pattern at concrete sizes and tile shape: the four hooks
// of codegen/HOOKS.md as lowered functions plus every buffer and scalar parameter they read.
// Backends (codegen/cuda, codegen/wgsl) only print this.
import type { IrProgram, Sizes } from '../../src/ir/schema.ts';
import { lowerBackward, type LoweredBackward } from './backward.ts';
import { BufferRegistry } from './buffers.ts';
import { lowerMaskHook, lowerScoreHook } from './hooks.ts';
import type { LBuffer, LFunction } from './ir.ts';
import { permuteRows, type RowPermutation } from './permutation.ts';
import { lowerRuntime, type LoweredRuntime } from './runtime.ts';
import { lowerSchedule, type ScheduleInput, type ScheduleRow } from './schedule.ts';

export interface Tile { blockM: number; blockN: number }

export interface LoweredPattern {
  name: string;
  /** The program the hooks were lowered from: the row-permuted one when there is a permutation. */
  ir: IrProgram;
  sizes: Sizes;
  tile: Tile;
  numQueryTiles: number;
  numKeyTiles: number;
  hooks: { numKeyTiles: LFunction; keyTile: LFunction; mask: LFunction; scoreMod: LFunction };
  /** The schedule's row form when every class is closed-form or dense (schedule.ts ScheduleRow). */
  keyTileRow?: ScheduleRow;
  hasScoreMod: boolean;
  /** Every buffer the hooks read, in parameter order. */
  buffers: LBuffer[];
  /** Scalar int parameters (batch strides of runtime buffers), in parameter order. */
  scalars: string[];
  schedule: ScheduleInput;
  /** With runtime schedule classes: the summary helpers and schedule builder (runtime.ts). */
  runtime?: LoweredRuntime;
  /** Rows sorted before attention and O / LSE scattered back after it (permutation.ts). */
  permutation?: RowPermutation;
  /** The backward hooks (transposed schedule, score_mod_grad), lowered on first use. */
  backward: () => LoweredBackward;
}

export function denseSchedule(sizes: Sizes, tile: Tile): ScheduleInput {
  return {
    numQueryTiles: Math.ceil(sizes.Nq / tile.blockM),
    numKeyTiles: Math.ceil(sizes.Nk / tile.blockN),
    classOf: new Array(sizes.L * sizes.H).fill(0),
    H: sizes.H,
    classes: [{ kind: 'dense' }],
  };
}

export interface LowerOptions {
  sizes?: Sizes;
  tile: Tile;
  schedule?: (reg: BufferRegistry) => ScheduleInput;
  /** Sort rows when the pattern qualifies (permutation.ts; default true). */
  permute?: boolean;
}

export function lowerPattern(source: IrProgram, opts: LowerOptions): LoweredPattern {
  const permuted = opts.permute === false ? null : permuteRows(opts.sizes ? { ...source, sizes: opts.sizes } : source);
  const ir = permuted?.ir ?? source;
  const sizes = permuted?.ir.sizes ?? opts.sizes ?? ir.sizes;
  const registry = new BufferRegistry(ir, sizes);
  // the sort inputs and the gathered inputs' sources stay runtime inputs (the helpers read them)
  for (const s of permuted ? [permuted.permutation.query, permuted.permutation.key] : []) {
    registry.input(s.keyInput);
    for (const g of s.gathered) registry.input(g.from);
  }
  const extra: LBuffer[] = [];
  const mask = lowerMaskHook(ir, registry, extra);
  const scoreMod = lowerScoreHook(ir, registry);
  const schedule = opts.schedule ? opts.schedule(registry) : denseSchedule(sizes, opts.tile);
  const lowered = lowerSchedule(schedule);
  const runtime = lowered.runtime ? lowerRuntime(ir, registry, opts.tile, lowered.runtime) : undefined;
  const buffers = [...registry.buffers, ...extra, ...lowered.tables];
  for (const b of runtime?.buffers ?? []) if (!buffers.some((x) => x.name === b.name)) buffers.push(b);
  let backward: LoweredBackward | undefined;
  return {
    name: ir.name,
    ir,
    permutation: permuted?.permutation,
    sizes,
    tile: opts.tile,
    numQueryTiles: schedule.numQueryTiles,
    numKeyTiles: schedule.numKeyTiles,
    hooks: { numKeyTiles: lowered.numKeyTiles, keyTile: lowered.keyTile, mask, scoreMod },
    ...(lowered.row ? { keyTileRow: lowered.row } : {}),
    hasScoreMod: ir.score !== null,
    buffers,
    scalars: buffers.filter((b) => b.batched).map((b) => `${b.name}_bstride`),
    schedule,
    runtime,
    backward: () => (backward ??= lowerBackward(ir, registry, schedule, buffers)),
  };
}
