// A launch plan: the buffers and the ordered compute dispatches of one kernel run, as plain
// data. Emitted launch metadata is mapped onto this; the runner (run.ts) executes it.
// Browser-safe: no Node imports here.

/** How a buffer is bound: a uniform block, a read-only storage buffer, or a writable one. */
export type BufferKind = 'uniform' | 'read-only-storage' | 'storage';

/** Initial contents of a buffer: bytes to upload, or a 32-bit pattern repeated over it. */
export type BufferInit = { bytes: ArrayBufferView } | { fillU32: number };

export interface BufferSpec {
  /** Unique within the plan; dispatches and results refer to buffers by name. */
  name: string;
  /** Size in bytes (multiple of 4; padded up to 16 for uniforms by the runner). */
  byteLength: number;
  kind: BufferKind;
  /** Omitted: zero-filled. */
  init?: BufferInit;
  /** Copy back to the host after the last dispatch. */
  readBack?: boolean;
}

export interface BindingRef {
  group: number;
  binding: number;
  /** Name of a BufferSpec; its kind decides the bind group layout entry. */
  buffer: string;
  /** Bind a 'storage' buffer as `var<storage, read>` here (e.g. the output of an earlier dispatch). */
  readOnly?: boolean;
}

export interface DispatchSpec {
  label: string;
  /** A complete WGSL module. */
  code: string;
  entryPoint: string;
  /** Workgroup counts (x, y, z); each at most 65,535 under default limits. */
  workgroups: [number, number, number];
  /** Every binding the entry point uses; groups must be contiguous from 0. */
  bindings: BindingRef[];
  /** Where assembled pieces start (1-based line), so compile messages can name the piece. */
  sections?: SourceSection[];
}

export interface SourceSection {
  name: string;
  firstLine: number;
}

export interface LaunchPlan {
  label: string;
  /** Device features the modules need (e.g. 'shader-f16', 'subgroups'). */
  requiredFeatures: GPUFeatureName[];
  buffers: BufferSpec[];
  /** Executed in order, one compute pass each, in one command buffer. */
  dispatches: DispatchSpec[];
}
