// Shared machinery of the WebGPU execution tests: fresh random inputs (seed printed on
// failure), a run on the device with poisoned outputs, and comparison to the float64 oracle.
import { chooseVariant, type AttentionTiles, type AttentionVariant, type ElemType } from '../../../codegen/wgsl/runtime/attention_fwd.ts';
import { loadAttentionSkeleton } from '../../../codegen/wgsl/runtime/load.ts';
import { buildAttentionPlan, decodeAttentionOutputs, type AttentionLaunch } from '../../../src/webgpu/attention.ts';
import type { GpuSession } from '../../../src/webgpu/device.ts';
import { fromHalfBits, toHalfBits } from '../../../src/webgpu/f16.ts';
import type { NodeAdapter } from '../../../src/webgpu/node.ts';
import { runPlan } from '../../../src/webgpu/run.ts';
import type { TestPattern } from './patterns.ts';
import { referenceAttention, type AttentionProblem } from './reference.ts';

/** Tests run on lavapipe unless ATTNC_WEBGPU_ADAPTER says otherwise. */
export function testAdapter(): NodeAdapter {
  const env = process.env.ATTNC_WEBGPU_ADAPTER;
  return env === 'auto' || env === 'null' || env === 'software' ? env : 'software';
}

/**
 * Kills this test worker if the file runs longer than ms: a wedged native device call can
 * block forever, and CI must fail instead of hanging. Vitest reports the lost worker.
 */
export function armFileWatchdog(file: string, ms: number): void {
  const timer = setTimeout(() => {
    console.error(`${file}: exceeded its hard limit of ${ms} ms; killing the test worker`);
    process.kill(process.pid, 'SIGKILL');
  }, ms);
  timer.unref();
}

/** mulberry32: a small seeded generator, so a failing random case can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function freshSeed(): number {
  const env = process.env.ATTNC_TEST_SEED;
  return env ? Number(env) : Math.floor(Math.random() * 2 ** 32);
}

/** Uniform in [-1, -1/64] U [1/64, 1]: random, never zero. */
export function randomTensor(n: number, random: () => number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const mag = 1 / 64 + random() * (1 - 1 / 64);
    x[i] = random() < 0.5 ? -mag : mag;
  }
  return x;
}

const roundToHalf = (x: Float32Array) => x.map((v) => fromHalfBits(toHalfBits(v)));

export interface Tolerance {
  /** |o - ref| <= atol + rtol * |ref| */
  atol: number;
  rtol: number;
  /** |lse - ref| <= lse */
  lse: number;
}

export const TOLERANCE: Record<ElemType, Tolerance> = {
  // f32: accumulation error only.
  f32: { atol: 2e-5, rtol: 1e-4, lse: 2e-5 },
  // f16: inputs are rounded to f16 before the reference sees them; what is left is the
  // final rounding of O to f16 (half an ulp, 2^-11 relative) plus f32 accumulation.
  f16: { atol: 1e-3, rtol: 2e-3, lse: 1e-4 },
};

export interface CaseReport {
  seed: number;
  variant: AttentionVariant;
  adapterName: string;
  /** Elements still NaN after the run (poison not overwritten, or NaN computed). */
  nanO: number;
  nanLse: number;
  maxErrO: number;
  maxErrLse: number;
  /** Elements outside tolerance, with the first few described. */
  badO: number;
  badLse: number;
  firstBad: string[];
  emptyRows: number;
}

export interface AttentionCase {
  pattern: (random: () => number) => TestPattern;
  problem: AttentionProblem;
  tiles: AttentionTiles;
  elem: ElemType;
  subgroups: boolean;
}

/** Runs one case on the device and compares every output element with the oracle. */
export async function runAttentionCase(session: GpuSession, c: AttentionCase): Promise<CaseReport> {
  const seed = freshSeed();
  const random = seededRandom(seed);
  const pattern = c.pattern(random);
  const p = c.problem;
  const d = c.tiles.headDim;
  const variant = chooseVariant(session.capabilities, c.elem, c.subgroups);
  if (variant.subgroups !== c.subgroups) throw new Error(`adapter ${session.adapterName} cannot run the subgroup variant`);
  const launch: AttentionLaunch = {
    label: pattern.name,
    prelude: pattern.prelude,
    tiles: c.tiles,
    params: { batch: p.batch, heads: p.heads, kvHeads: p.kvHeads, qLen: p.qLen, kLen: p.kLen, scale: p.scale, layer: p.layer },
    variant,
    q: randomTensor(p.batch * p.heads * p.qLen * d, random),
    k: randomTensor(p.batch * p.kvHeads * p.kLen * d, random),
    v: randomTensor(p.batch * p.kvHeads * p.kLen * d, random),
    patternBuffers: pattern.buffers,
  };
  const result = await runPlan(session, buildAttentionPlan(loadAttentionSkeleton(), launch));
  const got = decodeAttentionOutputs(result.outputs, launch);
  const seen = c.elem === 'f16' ? (x: Float32Array) => roundToHalf(x) : (x: Float32Array) => x;
  const ref = referenceAttention(p, seen(launch.q), seen(launch.k), seen(launch.v), pattern.allowed, pattern.scoreMod);

  const tol = TOLERANCE[c.elem];
  const report: CaseReport = {
    seed,
    variant,
    adapterName: session.adapterName,
    nanO: 0,
    nanLse: 0,
    maxErrO: 0,
    maxErrLse: 0,
    badO: 0,
    badLse: 0,
    firstBad: [],
    emptyRows: 0,
  };
  const note = (s: string) => report.firstBad.length < 5 && report.firstBad.push(s);
  for (let r = 0; r < ref.lse.length; r++) {
    const want = ref.lse[r]!;
    const have = got.lse[r]!;
    if (Number.isNaN(have)) report.nanLse++;
    if (want === -Infinity) {
      report.emptyRows++;
      if (have !== -Infinity) {
        report.badLse++;
        note(`row ${r}: lse ${have}, expected -inf`);
      }
      continue;
    }
    const err = Math.abs(have - want);
    report.maxErrLse = Math.max(report.maxErrLse, err);
    if (!(err <= tol.lse)) {
      report.badLse++;
      note(`row ${r}: lse ${have}, expected ${want}`);
    }
  }
  for (let i = 0; i < ref.o.length; i++) {
    const want = ref.o[i]!;
    const have = got.o[i]!;
    if (Number.isNaN(have)) report.nanO++;
    const err = Math.abs(have - want);
    report.maxErrO = Math.max(report.maxErrO, Number.isNaN(err) ? Infinity : err);
    // Empty rows must be exactly 0.
    const ok = ref.lse[Math.floor(i / d)] === -Infinity ? have === 0 : err <= tol.atol + tol.rtol * Math.abs(want);
    if (!ok) {
      report.badO++;
      note(`o[${i}] (row ${Math.floor(i / d)}, col ${i % d}): ${have}, expected ${want}`);
    }
  }
  return report;
}

/** One line for assertion messages: enough to replay (ATTNC_TEST_SEED) and diagnose. */
export function describeReport(r: CaseReport): string {
  return `seed=${r.seed} variant=${r.variant.elem}${r.variant.subgroups ? '+subgroups' : ''} adapter="${r.adapterName}" nan(o,lse)=(${r.nanO},${r.nanLse}) bad(o,lse)=(${r.badO},${r.badLse}) maxErr(o,lse)=(${r.maxErrO.toExponential(2)},${r.maxErrLse.toExponential(2)}) ${r.firstBad.join('; ')}`;
}
