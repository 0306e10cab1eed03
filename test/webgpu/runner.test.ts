// The WebGPU runner on lavapipe with tiny hand-written kernels: dispatch order, poisoned
// outputs, timing, error reporting, and that the device is destroyed on every path.
import { describe, expect, it } from 'vitest';
import type { LaunchPlan } from '../../src/webgpu/plan.ts';
import type { GpuSession } from '../../src/webgpu/device.ts';
import { withNodeGpu } from '../../src/webgpu/node.ts';
import { runPlan, validatePlan, WebGpuError } from '../../src/webgpu/run.ts';
import { armFileWatchdog, testAdapter } from './helpers/harness.ts';

armFileWatchdog('runner.test.ts', 600_000);

const N = 100;

/** Two dispatches: the first writes mid[i] = 2 i, the second out[i] = mid[i] + 1. */
function twoStepPlan(): LaunchPlan {
  const step = (body: string) => `
@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i < arrayLength(&dst)) { ${body} }
}`;
  return {
    label: 'two steps',
    requiredFeatures: [],
    buffers: [
      { name: 'index', kind: 'read-only-storage', byteLength: 4 * N, init: { bytes: Uint32Array.from({ length: N }, (_, i) => i) } },
      { name: 'mid', kind: 'storage', byteLength: 4 * N, init: { fillU32: 0xdeadbeef } },
      { name: 'out', kind: 'storage', byteLength: 4 * N, init: { fillU32: 0xdeadbeef }, readBack: true },
    ],
    dispatches: [
      {
        label: 'double',
        code: step('dst[i] = 2u * src[i];'),
        entryPoint: 'main',
        workgroups: [Math.ceil(N / 64), 1, 1],
        bindings: [
          { group: 0, binding: 0, buffer: 'index' },
          { group: 0, binding: 1, buffer: 'mid' },
        ],
      },
      {
        label: 'increment',
        code: step('dst[i] = src[i] + 1u;'),
        entryPoint: 'main',
        workgroups: [Math.ceil(N / 64), 1, 1],
        bindings: [
          { group: 0, binding: 0, buffer: 'mid', readOnly: true },
          { group: 0, binding: 1, buffer: 'out' },
        ],
      },
    ],
  };
}

describe('WebGPU runner', () => {
  it('reports the adapter and runs dispatches in order', async () => {
    await withNodeGpu({ adapter: testAdapter() }, async (session) => {
      expect(session.adapterName.length).toBeGreaterThan(0);
      if (testAdapter() === 'software') expect(session.adapterName).toMatch(/llvmpipe/);
      const result = await runPlan(session, twoStepPlan());
      expect(result.adapterName).toBe(session.adapterName);
      expect(Array.from(new Uint32Array(result.outputs.out!))).toEqual(Array.from({ length: N }, (_, i) => 2 * i + 1));
      expect(Object.keys(result.outputs)).toEqual(['out']);
    });
  });

  it('times runs with timestamp queries where available, else the wall clock', async () => {
    await withNodeGpu({ adapter: testAdapter() }, async (session) => {
      const stamped = await runPlan(session, twoStepPlan(), { timedRuns: 3 });
      expect(stamped.timing!.runsMs).toHaveLength(3);
      expect(stamped.timing!.method).toBe(session.capabilities.timestamps ? 'timestamp-query' : 'wall-clock');
      const wall = await runPlan(session, twoStepPlan(), { timedRuns: 2, wallClock: true });
      expect(wall.timing!.method).toBe('wall-clock');
      expect(wall.timing!.runsMs.every((ms) => ms > 0)).toBe(true);
    });
  });

  it('throws WebGpuError with the compile message, and the device stays usable', async () => {
    await withNodeGpu({ adapter: testAdapter() }, async (session) => {
      const plan = twoStepPlan();
      plan.dispatches[1]!.code = plan.dispatches[1]!.code.replace('src[i] + 1u', 'src[i] + 1.0');
      const error = await runPlan(session, plan).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WebGpuError);
      expect((error as WebGpuError).details[0]).toMatch(/^increment:\d+:\d+: error: /);
      expect((await runPlan(session, twoStepPlan())).outputs.out).toBeDefined();
    });
  });

  it('rejects a plan that names an unknown buffer before touching the device', async () => {
    await withNodeGpu({ adapter: 'null' }, async (session) => {
      const plan = twoStepPlan();
      plan.dispatches[0]!.bindings[0]!.buffer = 'nowhere';
      expect(await validatePlan(session, plan)).toEqual({ ok: false, errors: ["double: binding 0/0 names unknown buffer 'nowhere'"] });
    });
  });

  it('destroys the device when the callback throws', async () => {
    let kept: GpuSession | undefined;
    await expect(
      withNodeGpu({ adapter: testAdapter() }, async (session) => {
        kept = session;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const lost = await kept!.device.lost;
    expect(lost.reason).toBe('destroyed');
  });
});
