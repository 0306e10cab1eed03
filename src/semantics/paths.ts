// Browser-safe path arithmetic for imports and JSON tables ('/'-separated, no Node `path`).

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i + 1);
}

/** Resolve `relative` against the directory of `fromFile`, removing `.` and `..` segments. */
export function resolvePath(fromFile: string | undefined, relative: string): string {
  const rel = relative.replace(/\\/g, '/');
  const joined = rel.startsWith('/') ? rel : dirname((fromFile ?? '').replace(/\\/g, '/')) + rel;
  const absolute = joined.startsWith('/');
  const out: string[] = [];
  for (const seg of joined.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else out.push(seg);
  }
  return (absolute ? '/' : '') + out.join('/');
}

/** `patterns/big-bird.attn` -> `big_bird`: a safe identifier for generated code. */
export function patternName(file: string | undefined): string {
  if (!file) return 'pattern';
  const base = file.replace(/\\/g, '/').split('/').pop()!.replace(/\.attn$/, '');
  let name = base.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(name)) name = `_${name}`;
  return name.length > 0 ? name.slice(0, 64) : 'pattern';
}
