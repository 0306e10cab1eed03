/// <reference types="@webgpu/types" />
// Opening a WebGPU device for running emitted kernels, against the standard API only, so a
// browser page can pass `navigator.gpu` and Node passes the dawn.node GPU object (node.ts).
// The device keeps WebGPU's default limits: what runs here runs on any conforming adapter.

/** Optional features a kernel variant may use; requested whenever the adapter has them. */
export const USEFUL_FEATURES: readonly GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'];

export interface GpuCapabilities {
  f16: boolean;
  subgroups: boolean;
  /** 0 when the adapter has no subgroups. */
  subgroupMinSize: number;
  subgroupMaxSize: number;
  timestamps: boolean;
}

export type AdapterKind = 'hardware' | 'software' | 'null';

export interface GpuSession {
  /** Held so the GPU object (in Node, Dawn's instance) outlives the device. */
  gpu: GPU;
  device: GPUDevice;
  /** Human-readable adapter name, e.g. "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)". */
  adapterName: string;
  adapterKind: AdapterKind;
  capabilities: GpuCapabilities;
  /** Errors no error scope caught, in order; the runner turns any into a failure. */
  uncapturedErrors: string[];
}

export interface OpenOptions {
  powerPreference?: GPUPowerPreference;
  /** Features to leave off even if the adapter has them (to exercise fallbacks). */
  disableFeatures?: GPUFeatureName[];
}

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|softpipe|microsoft basic render/i;

export function adapterName(info: GPUAdapterInfo): string {
  const name = info.description || info.device || info.architecture || info.vendor;
  return name ? name.trim() : 'unknown adapter';
}

export function classifyAdapter(info: GPUAdapterInfo): AdapterKind {
  const text = [info.vendor, info.architecture, info.device, info.description].join(' ');
  if (/null-backend/i.test(text)) return 'null';
  if (info.isFallbackAdapter || SOFTWARE_ADAPTER.test(text)) return 'software';
  return 'hardware';
}

/** Requests an adapter and a device with the useful features it has and default limits. */
export async function openGpu(gpu: GPU, options: OpenOptions = {}): Promise<GpuSession> {
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) throw new Error('WebGPU: no adapter available (on Linux without a GPU, run scripts/setup-webgpu.sh)');
  const disabled = new Set(options.disableFeatures ?? []);
  const requiredFeatures = USEFUL_FEATURES.filter((f) => adapter.features.has(f) && !disabled.has(f));
  const device = await adapter.requestDevice({ label: 'attnc', requiredFeatures });
  const info = adapter.info;
  const subgroups = device.features.has('subgroups');
  const session: GpuSession = {
    gpu,
    device,
    adapterName: adapterName(info),
    adapterKind: classifyAdapter(info),
    capabilities: {
      f16: device.features.has('shader-f16'),
      subgroups,
      subgroupMinSize: subgroups ? (info.subgroupMinSize ?? 0) : 0,
      subgroupMaxSize: subgroups ? (info.subgroupMaxSize ?? 0) : 0,
      timestamps: device.features.has('timestamp-query'),
    },
    uncapturedErrors: [],
  };
  device.addEventListener('uncapturederror', (event) => {
    session.uncapturedErrors.push((event as GPUUncapturedErrorEvent).error.message);
  });
  return session;
}

/** Opens a device, runs fn, and destroys the device whatever happens. */
export async function withGpu<T>(gpu: GPU, options: OpenOptions, fn: (session: GpuSession) => Promise<T>): Promise<T> {
  const session = await openGpu(gpu, options);
  try {
    return await fn(session);
  } finally {
    session.device.destroy();
  }
}
