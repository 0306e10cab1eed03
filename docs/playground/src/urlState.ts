// The playground's state in the URL fragment, so a link shares it: the source (raw deflate,
// base64url), the example it came from, and the size/param overrides. Uses the browser's
// CompressionStream, so nothing of this runs on a server.

export interface UrlState {
  source?: string;
  example?: string;
  /** Overrides of sizes and params, `name -> value` as typed in the sliders. */
  overrides: Record<string, number | boolean>;
}

export async function encodeSource(source: string): Promise<string> {
  const bytes = new TextEncoder().encode(source);
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  const compressed = new Uint8Array(await new Response(stream).arrayBuffer());
  return toBase64Url(compressed);
}

export async function decodeSource(encoded: string): Promise<string> {
  const bytes = fromBase64Url(encoded);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return await new Response(stream).text();
}

export async function writeUrlState(state: UrlState): Promise<string> {
  const parts: string[] = [];
  if (state.example !== undefined) parts.push(`example=${encodeURIComponent(state.example)}`);
  if (state.source !== undefined) parts.push(`code=${await encodeSource(state.source)}`);
  const overrides = Object.entries(state.overrides);
  if (overrides.length > 0) {
    parts.push(`set=${overrides.map(([k, v]) => `${encodeURIComponent(k)}:${v}`).join(',')}`);
  }
  return parts.join('&');
}

export async function readUrlState(hash: string): Promise<UrlState> {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const state: UrlState = { overrides: {} };
  const example = params.get('example');
  if (example) state.example = example;
  const code = params.get('code');
  if (code) {
    try {
      state.source = await decodeSource(code);
    } catch {
      // A truncated or hand-edited link: fall back to the example or the default.
    }
  }
  const set = params.get('set');
  if (set) {
    for (const item of set.split(',')) {
      const [name, raw] = item.split(':');
      if (!name || raw === undefined) continue;
      if (raw === 'true' || raw === 'false') state.overrides[decodeURIComponent(name)] = raw === 'true';
      else if (Number.isFinite(Number(raw))) state.overrides[decodeURIComponent(name)] = Number(raw);
    }
  }
  return state;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
