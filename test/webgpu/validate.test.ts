// Validation without execution on Dawn's null backend: every variant of every test pattern
// compiles and makes a pipeline under default limits; and the errors a broken prelude or
// launch must produce (documented in docs/wgsl-kernel.md, "Expected errors").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATTENTION_ENTRY_POINT,
  assembleAttentionModule,
  checkTiles,
  defaultBlockN,
  type AttentionTiles,
  type AttentionVariant,
} from '../../codegen/wgsl/runtime/attention_fwd.ts';
import { loadAttentionSkeleton } from '../../codegen/wgsl/runtime/load.ts';
import { buildAttentionPlan, type AttentionLaunch } from '../../src/webgpu/attention.ts';
import type { GpuSession } from '../../src/webgpu/device.ts';
import { openNodeGpu, withNodeGpu } from '../../src/webgpu/node.ts';
import { validatePlan, type ValidationReport } from '../../src/webgpu/run.ts';
import { armFileWatchdog, randomTensor, seededRandom } from './helpers/harness.ts';
import { csrTables, denseCausal, slidingWindow, type TestPattern } from './helpers/patterns.ts';

armFileWatchdog('validate.test.ts', 600_000);

const VARIANTS: AttentionVariant[] = [
  { elem: 'f32', subgroups: false },
  { elem: 'f32', subgroups: true },
  { elem: 'f16', subgroups: false },
  { elem: 'f16', subgroups: true },
];
const sources = loadAttentionSkeleton();

function launchFor(pattern: TestPattern, tiles: AttentionTiles, variant: AttentionVariant): AttentionLaunch {
  const random = seededRandom(1);
  const [b, h, hkv, n] = [1, 4, 2, 40];
  return {
    label: pattern.name,
    prelude: pattern.prelude,
    tiles,
    params: { batch: b, heads: h, kvHeads: hkv, qLen: n, kLen: n, scale: 0.125, layer: 0 },
    variant,
    q: randomTensor(b * h * n * tiles.headDim, random),
    k: randomTensor(b * hkv * n * tiles.headDim, random),
    v: randomTensor(b * hkv * n * tiles.headDim, random),
    patternBuffers: pattern.buffers,
  };
}

function patternsFor(tiles: AttentionTiles): TestPattern[] {
  const problem = { batch: 1, heads: 4, kvHeads: 2, qLen: 40, kLen: 40, headDim: tiles.headDim, scale: 0.125, layer: 0 };
  return [denseCausal(tiles), slidingWindow(tiles, 20), csrTables(tiles, problem, 1, seededRandom(2))];
}

const causal64: AttentionTiles = { blockM: 16, blockN: 16, headDim: 64 };

describe('WGSL attention: validation on the null backend', () => {
  let session: GpuSession | undefined;
  beforeAll(async () => {
    session = await openNodeGpu({ adapter: 'null' });
  });
  afterAll(() => {
    session?.device.destroy();
    session = undefined;
  });

  it('opens the null adapter with default limits', () => {
    expect(session!.adapterKind).toBe('null');
    expect(session!.device.limits.maxComputeWorkgroupStorageSize).toBe(16_384);
    expect(session!.device.limits.maxStorageBuffersPerShaderStage).toBe(8);
  });

  for (const headDim of [64, 128]) {
    const tiles = { blockM: 16, blockN: defaultBlockN(16, headDim), headDim };
    for (const pattern of patternsFor(tiles)) {
      it(`${pattern.name}, D=${headDim}: all four variants validate`, async () => {
        for (const variant of VARIANTS) {
          const report = await validatePlan(session!, buildAttentionPlan(sources, launchFor(pattern, tiles, variant)));
          expect(report, `${variant.elem} subgroups=${variant.subgroups}`).toEqual({ ok: true, errors: [] });
        }
      });
    }
  }

  const withPrelude = (edit: (prelude: string) => string, variant = VARIANTS[0]!): Promise<ValidationReport> => {
    const pattern = denseCausal(causal64);
    return validatePlan(session!, buildAttentionPlan(sources, launchFor({ ...pattern, prelude: edit(pattern.prelude) }, causal64, variant)));
  };

  it('reports a type error in a prelude as label:line:col: error', async () => {
    const report = await withPrelude((p) => p.replace('return k <= q;', 'return k <= 1.5;'));
    expect(report.ok).toBe(false);
    expect(report.errors[0]).toMatch(/^dense causal \(f32\):\d+:10: error: no matching overload for 'operator <= \(u32, abstract-float\)'.*\(prelude:16\)$/s);
  });

  it('treats a compile warning as a failure', async () => {
    const report = await withPrelude((p) => p.replace('return k <= q;', 'return k <= q;\n  let unreachable = 1u;'));
    expect(report.ok).toBe(false);
    expect(report.errors.join('\n')).toMatch(/warning: code is unreachable/);
  });

  it('rejects a schedule that is not workgroup-uniform (loop bound from a read_write buffer)', async () => {
    const report = await withPrelude((p) =>
      p.replace(
        'fn num_key_tiles(b: u32, l: u32, h: u32, qt: u32) -> u32 {',
        '@group(1) @binding(0) var<storage, read_write> tile_count: array<u32>;\nfn num_key_tiles(b: u32, l: u32, h: u32, qt: u32) -> u32 {\n  if (tile_count[0] == 7u) { return 0u; }',
      ),
    );
    expect(report.ok).toBe(false);
    expect(report.errors.join('\n')).toMatch(/uniform control flow/);
  });

  it('rejects tiles over the workgroup storage limit, in TypeScript and on the device', async () => {
    const tiles = { blockM: 16, blockN: 16, headDim: 128 };
    const variant: AttentionVariant = { elem: 'f32', subgroups: false };
    expect(checkTiles(tiles, variant)).toEqual(['f32: 24576 bytes of workgroup storage, limit 16384']);
    expect(() => buildAttentionPlan(sources, launchFor(denseCausal(tiles), tiles, variant))).toThrow(/24576 bytes of workgroup storage/);
    // Forced past the TypeScript check, pipeline creation refuses it.
    const plan = buildAttentionPlan(sources, launchFor(denseCausal(causal64), causal64, variant));
    plan.dispatches[0]!.code = assembleAttentionModule(sources, denseCausal(tiles).prelude, variant).code;
    const report = await validatePlan(session!, plan);
    expect(report.ok).toBe(false);
    expect(report.errors.join('\n')).toMatch(/total use of workgroup storage \(24576 bytes\) is larger than the maximum allowed \(16384 bytes\)/);
  });

  it('rejects more than three pattern storage buffers', () => {
    const pattern = denseCausal(causal64);
    const table = { kind: 'read-only-storage' as const, bytes: new Uint32Array(4) };
    const buffers = [0, 1, 2, 3].map((binding) => ({ ...table, binding, name: `t${binding}` }));
    expect(() => buildAttentionPlan(sources, launchFor({ ...pattern, buffers }, causal64, VARIANTS[0]!))).toThrow(/more than 3 pattern storage buffers/);
  });

  it('uses the entry point attention_fwd', () => {
    const plan = buildAttentionPlan(sources, launchFor(denseCausal(causal64), causal64, VARIANTS[0]!));
    expect(plan.dispatches[0]!.entryPoint).toBe(ATTENTION_ENTRY_POINT);
  });
});

describe('WGSL attention: feature checks', () => {
  it("refuses an f16 plan on a device without 'shader-f16'", async () => {
    await withNodeGpu({ adapter: 'null', disableFeatures: ['shader-f16'] }, async (session) => {
      expect(session.capabilities.f16).toBe(false);
      const plan = buildAttentionPlan(sources, launchFor(denseCausal(causal64), causal64, { elem: 'f16', subgroups: false }));
      const report = await validatePlan(session, plan);
      expect(report).toEqual({ ok: false, errors: ["dense causal: the device lacks feature 'shader-f16'"] });
    });
  });
});
