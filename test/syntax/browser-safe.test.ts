// The compiler core must run in a browser page: no Node-only modules or globals under
// grammar/ (except the generator script), src/syntax, src/diagnostics, src/semantics, src/ir
// and src/api.ts.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(root + dir).flatMap((f) => {
    const p = `${dir}/${f}`;
    if (statSync(root + p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

describe('browser-safe core', () => {
  const files = [
    ...tsFiles('grammar').filter((f) => !f.endsWith('gen-highlight.ts')),
    ...tsFiles('src/syntax'), ...tsFiles('src/diagnostics'), ...tsFiles('src/semantics'), ...tsFiles('src/ir'),
    'src/api.ts',
  ];
  it.each(files)('%s', (f) => {
    const text = readFileSync(root + f, 'utf8');
    expect(text).not.toMatch(/from ['"](node:|fs|path|os|child_process|url)['"/]/);
    expect(text).not.toMatch(/\bprocess\.|\brequire\(|\b__dirname\b|\bBuffer\./);
  });
});
