// Code generation entry point: IR (+ optional analysis schedule) -> emitted files and launch
// metadata for one target. Browser-safe: returns file contents; writing them, and copying the
// `assets` (skeleton and loader files from the repository), is the caller's job (the CLI).
import type { IrProgram, Sizes } from '../src/ir/schema.ts';
import { emitCuda, CUDA_PYTHON_ASSETS, CUDA_RUNTIME_ASSETS, type CudaDtype } from './cuda/emit.ts';
import type { AssetFile, EmittedFile } from './files.ts';
import { emitFlex } from './flex/emit.ts';
import type { BufferRegistry } from './lower/buffers.ts';
import { lowerPattern, type Tile } from './lower/pattern.ts';
import type { ScheduleInput } from './lower/schedule.ts';
import type { LaunchMetadata } from './metadata/schema.ts';
import { emitWgsl, WGSL_ASSETS } from './wgsl/emit.ts';

export type Target = 'cuda' | 'wgsl' | 'flex';

export interface CompileOptions {
  target: Target;
  /** Sizes to specialise for (default: the IR's sizes). */
  sizes?: Sizes;
  tile?: Tile;
  dtypes?: CudaDtype[];
  headDims?: number[];
  /** Per-class schedules (from the analysis); dense when absent. */
  schedule?: (registry: BufferRegistry) => ScheduleInput;
  statistics?: LaunchMetadata['statistics'];
  /** Sort rows of patterns that qualify (lower/permutation.ts; default true for CUDA and WGSL). */
  permute?: boolean;
  /** Source lines quoted (sanitised) in generated comments. */
  sourceSummary?: string[];
}

export interface CompileResult {
  files: EmittedFile[];
  assets: AssetFile[];
  metadata: LaunchMetadata;
}

export function defaultTile(target: Target): Tile {
  // WGSL: 16-row query tiles fit every skeleton variant at head dim 64 with 16-wide key tiles
  return target === 'wgsl' ? { blockM: 16, blockN: 16 } : { blockM: 128, blockN: 64 };
}

export function compile(ir: IrProgram, opts: CompileOptions): CompileResult {
  const tile = opts.tile ?? defaultTile(opts.target);
  const sizes = opts.sizes ?? ir.sizes;
  // CUDA and WGSL run row-permuted patterns over sorted rows (lower/permutation.ts); the flex
  // backend's mask functions read the original positions directly
  const lowered = lowerPattern(ir, { sizes, tile, schedule: opts.target === 'flex' ? undefined : opts.schedule, permute: opts.target !== 'flex' && opts.permute !== false });
  const summary = opts.sourceSummary ?? [];
  switch (opts.target) {
    case 'cuda': {
      const { files, metadata } = emitCuda(lowered.ir, lowered, {
        dtypes: opts.dtypes ?? ['bf16', 'fp16'], headDims: opts.headDims ?? [64, 128],
        sourceSummary: summary, statistics: opts.statistics,
      });
      return { files, metadata, assets: [...CUDA_RUNTIME_ASSETS, ...CUDA_PYTHON_ASSETS] };
    }
    case 'wgsl': {
      const { files, metadata } = emitWgsl(lowered.ir, lowered, { headDims: opts.headDims ?? [64], sourceSummary: summary, statistics: opts.statistics });
      return { files, metadata, assets: WGSL_ASSETS };
    }
    case 'flex': {
      const { files, metadata } = emitFlex(ir, lowered, { sourceSummary: summary });
      return { files, metadata, assets: [] };
    }
  }
}
