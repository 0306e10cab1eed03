// Formatter: canonical output, comments and blank lines kept, idempotent, and formatting
// never changes the IR (checked on every shipped pattern).
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileToIr, formatSource } from '../../src/api.ts';
import { nodeReadFile } from '../../src/node.ts';
import { irWithoutSpans } from './util.ts';

const fmt = (s: string) => {
  const r = formatSource(s);
  if (r.text === null) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.text;
};

describe('formatSource', () => {
  it('prints canonical spacing, one statement per line', () => {
    expect(fmt('sizes   Nq=1024,H = 4\nparam  w:int=3\nmask=causal   and(q-k<w)or   not sinks( 4 )')).toBe(
      'sizes Nq = 1024, H = 4\nparam w: int = 3\nmask = causal and (q - k < w) or not sinks(4)\n',
    );
  });

  it('prints mask blocks one rule per line', () => {
    expect(fmt('mask { layers 0.. by 4 : causal heads 0..7, 9:causal otherwise:sinks(1) }')).toBe(
      'mask {\n  layers 0.. by 4: causal\n  heads 0..7, 9: causal\n  otherwise: sinks(1)\n}\n',
    );
  });

  it('keeps comments (own-line and end-of-line) and collapses blank lines', () => {
    const src = '# header\n\n\n\nparam w = 3   # width\n# about the mask\nmask {\n  # first\n  layers 0: causal # c\n  # trailing inside\n}\n# end\n';
    expect(fmt(src)).toBe('# header\n\nparam w = 3 # width\n# about the mask\nmask {\n  # first\n  layers 0: causal # c\n  # trailing inside\n}\n# end\n');
  });

  it('moves comments from inside a multi-line statement in front of it', () => {
    expect(fmt('let a = q # one\n  + k # two\nmask = causal\n')).toBe('# one\nlet a = q + k # two\nmask = causal\n');
  });

  it('keeps numbers and strings as written', () => {
    expect(fmt('param n = 131_072\nparam f = 1.50\nimport "a\\\\b.attn" as x\nmask = causal\n')).toBe('param n = 131_072\nparam f = 1.50\nimport "a\\\\b.attn" as x\nmask = causal\n');
  });

  it('returns null text and diagnostics for syntax errors', () => {
    const r = formatSource('mask = (');
    expect(r.text).toBeNull();
    expect(r.diagnostics[0]?.code).toBe('E003');
  });

  it('handles CRLF and a BOM', () => {
    expect(fmt('\uFEFFmask = causal\r\nscore = s\r\n')).toBe('mask = causal\nscore = s\n');
  });
});

describe('shipped patterns', () => {
  const dir = fileURLToPath(new URL('../../patterns/', import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.attn'));
  it.each(files)('%s: fmt is idempotent and keeps the IR', (f) => {
    const src = readFileSync(dir + f, 'utf8');
    const once = fmt(src);
    expect(fmt(once)).toBe(once);
    const file = `patterns/${f}`;
    const a = compileToIr(src, { file, readFile: nodeReadFile });
    const b = compileToIr(once, { file, readFile: nodeReadFile });
    expect(a.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(irWithoutSpans(b.ir)).toEqual(irWithoutSpans(a.ir));
    // Every comment survives.
    const comments = (s: string) => (s.match(/#[^\n]*/g) ?? []).map((c) => c.trimEnd()).sort();
    expect(comments(once)).toEqual(comments(src));
  });
});
