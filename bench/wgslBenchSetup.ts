// What the WebGPU benchmarks (bench/wgsl.bench.ts, bench/wgsl_runtime.bench.ts) share: their
// command line, the pattern directory, the WGSL skeleton sources and the median.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAttentionSkeleton, loadPatternHelpers } from '../codegen/wgsl/runtime/load.ts';
import type { NodeAdapter } from '../src/webgpu/node.ts';

export interface BenchArgs {
  N: number; H: number; D: number; runs: number; rounds: number;
  adapter: NodeAdapter;
  /** Pattern names from the command line, else the benchmark's defaults. */
  names: string[];
}

/** `[--n 4096] [--heads 1] [--dim 64] [--rounds 3] [--runs 2] [--adapter software|auto] [pattern ...]` */
export function parseBenchArgs(defaultNames: string[]): BenchArgs {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      n: { type: 'string', default: '4096' },
      heads: { type: 'string', default: '1' },
      dim: { type: 'string', default: '64' },
      runs: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '3' },
      adapter: { type: 'string', default: 'software' },
    },
  });
  return {
    N: Number(values.n), H: Number(values.heads), D: Number(values.dim), runs: Number(values.runs), rounds: Number(values.rounds),
    adapter: values.adapter as NodeAdapter,
    names: positionals.length ? positionals : defaultNames,
  };
}

export const PATTERNS = resolve(import.meta.dirname, '../patterns');

export const wgslSources = () => ({ attention: loadAttentionSkeleton(), helpers: loadPatternHelpers() });

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
