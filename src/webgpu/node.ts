// Node entry of the WebGPU runner: makes the GPU object through the `webgpu` package
// (dawn.node) and always destroys the device. Everything else is in the browser-safe core.
import { create } from 'webgpu';
import { openGpu, type GpuSession, type OpenOptions } from './device.ts';

/**
 * Which adapter to use:
 * - 'auto': the best adapter Dawn finds (a real GPU when present, else lavapipe);
 * - 'software': Mesa's lavapipe (llvmpipe), the CI adapter;
 * - 'null': Dawn's null backend, which compiles and validates but computes nothing.
 * The ATTNC_WEBGPU_ADAPTER environment variable overrides 'auto' with one of these words.
 */
export type NodeAdapter = 'auto' | 'software' | 'null';

export interface NodeGpuOptions extends OpenOptions {
  adapter?: NodeAdapter;
}

function dawnOptions(adapter: NodeAdapter): string[] {
  switch (adapter) {
    case 'software':
      return ['adapter=llvmpipe'];
    case 'null':
      return ['backend=null'];
    case 'auto':
      return [];
  }
}

function resolveAdapter(requested: NodeAdapter | undefined): NodeAdapter {
  if (requested && requested !== 'auto') return requested;
  const env = process.env.ATTNC_WEBGPU_ADAPTER;
  if (env === 'software' || env === 'null' || env === 'auto') return env;
  if (env) throw new Error(`ATTNC_WEBGPU_ADAPTER=${env}: expected auto, software or null`);
  return 'auto';
}

/**
 * Opens a device (see NodeAdapter). The caller must call session.device.destroy(); prefer
 * withNodeGpu. The session holds the GPU object: Dawn's instance must outlive the device (if
 * it is garbage-collected first, the process crashes), and must not outlive it in a global.
 */
export async function openNodeGpu(options: NodeGpuOptions = {}): Promise<GpuSession> {
  return openGpu(create(dawnOptions(resolveAdapter(options.adapter))), options);
}

/** Opens a device (see NodeAdapter), runs fn, and destroys the device whatever happens. */
export async function withNodeGpu<T>(options: NodeGpuOptions, fn: (session: GpuSession) => Promise<T>): Promise<T> {
  const session = await openNodeGpu(options);
  try {
    return await fn(session);
  } finally {
    session.device.destroy();
  }
}
