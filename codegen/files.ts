// Emitted files (text or binary) and the binary table encoding shared by every backend:
// little-endian, row-major, int32 for int/bool data and float32 for float data.
export interface EmittedFile {
  /** Path relative to the output directory. */
  path: string;
  contents: string | Uint8Array;
}

/** A file to copy from the repository (skeletons, runtime loaders) into the output directory. */
export interface AssetFile {
  path: string;
  /** Repository-relative source path. */
  source: string;
}

export function tableBytes(data: ArrayLike<number>, elem: 'int' | 'float'): Uint8Array {
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) {
    if (elem === 'float') view.setFloat32(i * 4, data[i], true);
    else view.setInt32(i * 4, data[i], true);
  }
  return bytes;
}
