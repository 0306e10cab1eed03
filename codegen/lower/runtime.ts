// Runtime schedules (issues #4, #5): for patterns whose tiles depend on runtime inputs (document
// ids, keep flags, buckets, index lists, top-k selections), what runs on the device before
// attention, in this order: the summary helpers (runtimeSummaries.ts), then the schedule
// builder, which walks each runtime class's static envelope row, classifies its non-FULL tiles
// (runtimeClassify.ts) and writes the compact row (count, then kt * 2 + full) that the
// attention hooks read. Backend neutral: CUDA and WGSL print these functions into their
// builder skeletons (attnc_schedule_build.cuh, helpers/schedule_build.wgsl).
import type { IrProgram } from '../../src/ir/schema.ts';
import type { BufferRegistry } from './buffers.ts';
import type { LBuffer, LFunction } from './ir.ts';
import type { Tile } from './pattern.ts';
import { lowerTileClassifier } from './runtimeClassify.ts';
import { SummaryRegistry, type SummaryStep } from './runtimeSummaries.ts';
import type { RuntimeScheduleHooks } from './schedule.ts';

export interface LoweredRuntime {
  /** The static envelope walk (runtime classes only; others have empty rows). */
  envNumKeyTiles: LFunction;
  envKeyTile: LFunction;
  /** `classify_tile(b, l, h, qt, kt)`: 0 EMPTY, 1 FULL, 2 PARTIAL. */
  classify: LFunction;
  /** `schedule_row(b, h, qt)`: where the row's count goes in `schedule`. */
  scheduleRow: LFunction;
  schedule: LBuffer;
  maxTiles: number;
  /** Summary helpers in launch order (after lsh / top-k helpers, before the builder). */
  summaries: SummaryStep[];
  /** Buffers the builder reads or writes beyond the attention hooks' own (summaries, tables). */
  buffers: LBuffer[];
}

export function lowerRuntime(ir: IrProgram, registry: BufferRegistry, tile: Tile, hooks: RuntimeScheduleHooks): LoweredRuntime {
  const summaries = new SummaryRegistry();
  const classifier = lowerTileClassifier(ir, registry, summaries, tile);
  return {
    envNumKeyTiles: hooks.envNumKeyTiles,
    envKeyTile: hooks.envKeyTile,
    classify: classifier.fn,
    scheduleRow: hooks.scheduleRow,
    schedule: hooks.buffer,
    maxTiles: hooks.maxTiles,
    summaries: summaries.steps,
    buffers: [hooks.buffer, ...summaries.steps.map((s) => s.buffer), ...classifier.tables],
  };
}
