/// <reference types="@webgpu/types" />
// Executes a LaunchPlan on an open device: validation (compile messages and WebGPU
// validation errors are failures), upload, the ordered dispatches, read-back and timing.
// Browser-safe: standard WebGPU API only.
import type { BindingRef, BufferKind, BufferSpec, DispatchSpec, LaunchPlan } from './plan.ts';
import type { GpuSession } from './device.ts';
import { BufferUsage, MapMode, ShaderStage } from './constants.ts';

export class WebGpuError extends Error {
  constructor(
    message: string,
    readonly details: string[],
  ) {
    super(details.length ? `${message}:\n${details.join('\n')}` : message);
    this.name = 'WebGpuError';
  }
}

export interface ValidationReport {
  ok: boolean;
  /** `label:line:col: error: text` for compile messages, plain text for the rest. */
  errors: string[];
}

export interface Timing {
  method: 'timestamp-query' | 'wall-clock';
  /** Milliseconds per run of the whole plan (all dispatches). */
  runsMs: number[];
  medianMs: number;
}

export interface RunResult {
  adapterName: string;
  /** Contents of every buffer with readBack, after the first run. */
  outputs: Record<string, ArrayBuffer>;
  timing?: Timing;
}

export interface RunOptions {
  /** Extra timed runs after the checked one (0: no timing). Outputs come from the first run. */
  timedRuns?: number;
  /** Use wall clock even where timestamp queries exist. */
  wallClock?: boolean;
}

interface Compiled {
  dispatch: DispatchSpec;
  pipeline: GPUComputePipeline;
  layouts: GPUBindGroupLayout[];
}

const BINDING_TYPE: Record<BufferKind, GPUBufferBindingType> = {
  uniform: 'uniform',
  'read-only-storage': 'read-only-storage',
  storage: 'storage',
};

function bufferByName(plan: LaunchPlan): Map<string, BufferSpec> {
  return new Map(plan.buffers.map((b) => [b.name, b]));
}

/** Checks of the plan itself, before anything reaches the device. */
export function checkPlan(plan: LaunchPlan, limits: GPUSupportedLimits, features: GPUSupportedFeatures): string[] {
  const errors: string[] = [];
  const buffers = bufferByName(plan);
  if (buffers.size !== plan.buffers.length) errors.push(`${plan.label}: duplicate buffer names`);
  for (const f of plan.requiredFeatures) {
    if (!features.has(f)) errors.push(`${plan.label}: the device lacks feature '${f}'`);
  }
  for (const b of plan.buffers) {
    if (b.byteLength <= 0 || b.byteLength % 4 !== 0) errors.push(`buffer ${b.name}: byteLength ${b.byteLength} is not a positive multiple of 4`);
    const max = b.kind === 'uniform' ? limits.maxUniformBufferBindingSize : limits.maxStorageBufferBindingSize;
    if (b.byteLength > max) errors.push(`buffer ${b.name}: ${b.byteLength} bytes exceeds the binding limit ${max}`);
    if (b.init && 'bytes' in b.init && b.init.bytes.byteLength !== b.byteLength) {
      errors.push(`buffer ${b.name}: init has ${b.init.bytes.byteLength} bytes, expected ${b.byteLength}`);
    }
  }
  for (const d of plan.dispatches) {
    const max = limits.maxComputeWorkgroupsPerDimension;
    if (d.workgroups.some((n) => !Number.isInteger(n) || n < 0 || n > max)) {
      errors.push(`${d.label}: workgroups ${d.workgroups.join('x')} outside [0, ${max}]`);
    }
    let storage = 0;
    for (const ref of d.bindings) {
      const b = buffers.get(ref.buffer);
      if (!b) errors.push(`${d.label}: binding ${ref.group}/${ref.binding} names unknown buffer '${ref.buffer}'`);
      else if (b.kind !== 'uniform') storage++;
    }
    if (storage > limits.maxStorageBuffersPerShaderStage) {
      errors.push(`${d.label}: ${storage} storage buffers, limit ${limits.maxStorageBuffersPerShaderStage}`);
    }
  }
  return errors;
}

function groupsOf(bindings: BindingRef[]): BindingRef[][] {
  const groups: BindingRef[][] = [];
  for (const ref of bindings) (groups[ref.group] ??= []).push(ref);
  for (let g = 0; g < groups.length; g++) groups[g] ??= [];
  return groups;
}

/** `label:line:col: type: text`, plus `(prelude:line)` when the module was assembled. */
function formatCompileMessage(d: DispatchSpec, m: GPUCompilationMessage): string {
  const text = `${d.label}:${m.lineNum}:${m.linePos}: ${m.type}: ${m.message}`;
  const section = (d.sections ?? []).filter((s) => s.firstLine <= m.lineNum).at(-1);
  return section && m.lineNum > 0 ? `${text} (${section.name}:${m.lineNum - section.firstLine + 1})` : text;
}

async function compileDispatch(device: GPUDevice, d: DispatchSpec, buffers: Map<string, BufferSpec>, errors: string[]): Promise<Compiled | undefined> {
  const before = errors.length;
  device.pushErrorScope('validation');
  let compiled: Compiled | undefined;
  try {
    const module = device.createShaderModule({ label: d.label, code: d.code });
    const info = await module.getCompilationInfo();
    // Any compile message counts: a warning in emitted code is a bug of the emitter.
    for (const m of info.messages) errors.push(formatCompileMessage(d, m));
    const layouts = groupsOf(d.bindings).map((refs, group) =>
      device.createBindGroupLayout({
        label: `${d.label} group ${group}`,
        entries: refs.map((ref) => ({
          binding: ref.binding,
          visibility: ShaderStage.COMPUTE,
          buffer: { type: ref.readOnly ? 'read-only-storage' : BINDING_TYPE[buffers.get(ref.buffer)!.kind] },
        })),
      }),
    );
    const pipeline = device.createComputePipeline({
      label: d.label,
      layout: device.createPipelineLayout({ bindGroupLayouts: layouts }),
      compute: { module, entryPoint: d.entryPoint },
    });
    compiled = { dispatch: d, pipeline, layouts };
  } finally {
    const error = await device.popErrorScope();
    if (error) errors.push(`${d.label}: ${error.message}`);
  }
  return errors.length > before ? undefined : compiled;
}

async function compilePlan(session: GpuSession, plan: LaunchPlan): Promise<{ compiled: Compiled[]; errors: string[] }> {
  const { device } = session;
  const errors = checkPlan(plan, device.limits, device.features);
  if (errors.length) return { compiled: [], errors };
  const buffers = bufferByName(plan);
  const compiled: Compiled[] = [];
  for (const d of plan.dispatches) {
    const c = await compileDispatch(device, d, buffers, errors);
    if (c) compiled.push(c);
  }
  return { compiled, errors };
}

/**
 * Validation only: plan checks, shader compilation and pipeline creation, no dispatch.
 * Works on every adapter, the null backend included.
 */
export async function validatePlan(session: GpuSession, plan: LaunchPlan): Promise<ValidationReport> {
  const { errors } = await compilePlan(session, plan);
  errors.push(...session.uncapturedErrors.splice(0));
  return { ok: errors.length === 0, errors };
}

function createBuffer(device: GPUDevice, spec: BufferSpec): GPUBuffer {
  const size = spec.kind === 'uniform' ? Math.ceil(spec.byteLength / 16) * 16 : spec.byteLength;
  const usage =
    spec.kind === 'uniform'
      ? BufferUsage.UNIFORM | BufferUsage.COPY_DST
      : BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC;
  const buffer = device.createBuffer({ label: spec.name, size, usage, mappedAtCreation: spec.init !== undefined });
  if (spec.init) {
    const mapped = buffer.getMappedRange();
    if ('bytes' in spec.init) {
      const src = spec.init.bytes;
      new Uint8Array(mapped).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
    } else {
      new Uint32Array(mapped).fill(spec.init.fillU32 >>> 0);
    }
    buffer.unmap();
  }
  return buffer;
}

async function readBuffer(device: GPUDevice, source: GPUBuffer, byteLength: number): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ label: `${source.label} readback`, size: byteLength, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(source, 0, staging, 0, byteLength);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(MapMode.READ);
  const copy = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  return copy;
}

interface TimestampSlots {
  querySet: GPUQuerySet;
  resolve: GPUBuffer;
}

/** One command buffer: each dispatch in its own compute pass, optionally timestamped. */
function encodeRun(device: GPUDevice, compiled: Compiled[], bindGroups: GPUBindGroup[][], stamps?: TimestampSlots): GPUCommandBuffer {
  const encoder = device.createCommandEncoder();
  compiled.forEach((c, i) => {
    const pass = encoder.beginComputePass({
      label: c.dispatch.label,
      timestampWrites: stamps && { querySet: stamps.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
    });
    pass.setPipeline(c.pipeline);
    bindGroups[i]!.forEach((group, g) => pass.setBindGroup(g, group));
    const [x, y, z] = c.dispatch.workgroups;
    if (x > 0 && y > 0 && z > 0) pass.dispatchWorkgroups(x, y, z);
    pass.end();
  });
  if (stamps) encoder.resolveQuerySet(stamps.querySet, 0, 2 * compiled.length, stamps.resolve, 0);
  return encoder.finish();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function timeRuns(session: GpuSession, compiled: Compiled[], bindGroups: GPUBindGroup[][], runs: number, wallClock: boolean): Promise<Timing> {
  const { device } = session;
  const runsMs: number[] = [];
  if (session.capabilities.timestamps && !wallClock) {
    const count = 2 * compiled.length;
    const stamps: TimestampSlots = {
      querySet: device.createQuerySet({ type: 'timestamp', count }),
      resolve: device.createBuffer({ size: 8 * count, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC }),
    };
    try {
      for (let r = 0; r < runs; r++) {
        device.queue.submit([encodeRun(device, compiled, bindGroups, stamps)]);
        const ticks = new BigUint64Array(await readBuffer(device, stamps.resolve, 8 * count));
        let ns = 0n;
        for (let i = 0; i < compiled.length; i++) ns += ticks[2 * i + 1]! - ticks[2 * i]!;
        runsMs.push(Number(ns) / 1e6);
      }
    } finally {
      stamps.querySet.destroy();
      stamps.resolve.destroy();
    }
    // Timestamps may be quantised or unsupported in practice (all zeros): fall back.
    if (runsMs.some((ms) => ms > 0)) return { method: 'timestamp-query', runsMs, medianMs: median(runsMs) };
    runsMs.length = 0;
  }
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    device.queue.submit([encodeRun(device, compiled, bindGroups)]);
    await device.queue.onSubmittedWorkDone();
    runsMs.push(performance.now() - start);
  }
  return { method: 'wall-clock', runsMs, medianMs: median(runsMs) };
}

/**
 * Validates, uploads, runs the dispatches in order, reads back every readBack buffer, and
 * optionally times further runs. Throws WebGpuError on any validation, compile or device
 * error. Destroys the buffers it made; the device is the caller's (see withGpu).
 */
export async function runPlan(session: GpuSession, plan: LaunchPlan, options: RunOptions = {}): Promise<RunResult> {
  const { device } = session;
  const { compiled, errors } = await compilePlan(session, plan);
  if (errors.length) throw new WebGpuError(`${plan.label}: validation failed`, errors);

  const specs = bufferByName(plan);
  const buffers = new Map<string, GPUBuffer>();
  const scopes: GPUErrorFilter[] = ['out-of-memory', 'internal', 'validation'];
  for (const filter of scopes) device.pushErrorScope(filter);
  let result: RunResult | undefined;
  const failures: string[] = [];
  try {
    for (const spec of plan.buffers) buffers.set(spec.name, createBuffer(device, spec));
    const bindGroups = compiled.map((c) =>
      groupsOf(c.dispatch.bindings).map((refs, g) =>
        device.createBindGroup({
          layout: c.layouts[g]!,
          entries: refs.map((ref) => ({ binding: ref.binding, resource: { buffer: buffers.get(ref.buffer)! } })),
        }),
      ),
    );
    device.queue.submit([encodeRun(device, compiled, bindGroups)]);
    const outputs: Record<string, ArrayBuffer> = {};
    for (const spec of plan.buffers) {
      if (spec.readBack) outputs[spec.name] = await readBuffer(device, buffers.get(spec.name)!, specs.get(spec.name)!.byteLength);
    }
    const timedRuns = options.timedRuns ?? 0;
    const timing = timedRuns > 0 ? await timeRuns(session, compiled, bindGroups, timedRuns, options.wallClock ?? false) : undefined;
    result = { adapterName: session.adapterName, outputs, timing };
  } finally {
    // Pop every scope even when something above threw, so the device stays usable.
    for (let i = 0; i < scopes.length; i++) {
      const error = await device.popErrorScope();
      if (error) failures.push(error.message);
    }
    for (const b of buffers.values()) b.destroy();
  }
  failures.push(...session.uncapturedErrors.splice(0));
  if (failures.length) throw new WebGpuError(`${plan.label}: device error`, failures);
  return result;
}
