// The backward-pass part of a lowered pattern (codegen/HOOKS.md "Backward hooks"): the
// transposed schedule hooks and score_mod_grad, plus the static tables they add. Computed on
// demand (LoweredPattern.backward()): the WGSL and Flex backends never ask for it.
import type { IrProgram } from '../../src/ir/schema.ts';
import type { BufferRegistry } from './buffers.ts';
import type { LBuffer, LFunction } from './ir.ts';
import type { ScheduleInput, ScheduleRow } from './schedule.ts';
import { lowerTransposedSchedule, transposeSchedule, type TransposedRuntimeHooks } from './scheduleTransposed.ts';
import { lowerScoreGradHook, NotDifferentiableError } from './scoreGrad.ts';

export interface LoweredBackward {
  /** Null when the pattern cannot be differentiated (see `unsupported`). */
  hooks: { numQueryTiles: LFunction; queryTile: LFunction; scoreModGrad: LFunction } | null;
  /** The transposed schedule's row form (query_tile_row_impl), when it has one. */
  queryTileRow?: ScheduleRow;
  /**
   * Buffers read by the backward hooks only, in parameter order: the transposed CSR (static) and,
   * with runtime classes, the transposed runtime schedule (built before the backward).
   */
  tables: LBuffer[];
  /** With runtime classes: the transposed schedule builder's functions and buffer. */
  runtime?: TransposedRuntimeHooks;
  /** Transposed schedule input (rows = key tiles) and the classes made dense. */
  schedule: ScheduleInput | null;
  denseClasses: number[];
  /** Per key tile, its longest transposed row over the static classes (TransposedSchedule.rowTiles). */
  rowTiles: number[];
  /** Why there is no backward pass, e.g. a step function of s in the score modifier. */
  unsupported: string | null;
}

/** `forwardBuffers`: every buffer of the forward hooks (the backward reuses their dispatch table). */
export function lowerBackward(ir: IrProgram, registry: BufferRegistry, schedule: ScheduleInput, forwardBuffers: LBuffer[]): LoweredBackward {
  let scoreModGrad: LFunction;
  try {
    scoreModGrad = lowerScoreGradHook(ir, registry);
  } catch (e) {
    if (!(e instanceof NotDifferentiableError)) throw e;
    return { hooks: null, tables: [], schedule: null, denseClasses: [], rowTiles: [], unsupported: e.message };
  }
  const transposed = transposeSchedule(schedule);
  const lowered = lowerTransposedSchedule(transposed, forwardBuffers);
  return {
    hooks: { numQueryTiles: lowered.numQueryTiles, queryTile: lowered.queryTile, scoreModGrad },
    ...(lowered.queryTileRow ? { queryTileRow: lowered.queryTileRow } : {}),
    tables: lowered.runtime ? [...lowered.tables, lowered.runtime.buffer] : lowered.tables,
    runtime: lowered.runtime,
    schedule: transposed.input,
    denseClasses: [...transposed.dense.keys()],
    rowTiles: transposed.rowTiles,
    unsupported: null,
  };
}
