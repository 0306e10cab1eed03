// Fuzzing the front end: random token soup, random bytes and mutations of the shipped
// patterns never crash it, never produce an internal error, and every diagnostic points at a
// real place in its file.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileToIr, formatSource, formatDiagnostics } from '../../src/api.ts';
import { positionOf } from '../../src/diagnostics/format.ts';
import { KEYWORDS, BUILTIN_MASKS, BUILTIN_FUNCTIONS, PUNCTUATION } from '../../grammar/tokens.ts';

const dir = fileURLToPath(new URL('../../patterns/', import.meta.url));
const patterns = readdirSync(dir).filter((f) => f.endsWith('.attn')).map((f) => readFileSync(dir + f, 'utf8'));
const patternFiles: Record<string, string> = {};
for (const f of readdirSync(dir)) if (f.endsWith('.attn')) patternFiles[`patterns/${f}`] = readFileSync(dir + f, 'utf8');

/** A readFile over the in-memory pattern folder (JSON profiles read from disk when present). */
function readFile(path: string): string {
  if (patternFiles[path] !== undefined) return patternFiles[path]!;
  return readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');
}

function checkSource(source: string): void {
  const r = compileToIr(source, { file: 'patterns/fuzz.attn', readFile });
  const f = formatSource(source);
  for (const d of [...r.diagnostics, ...f.diagnostics]) {
    expect(d.id, d.message).not.toBe('internal-error');
    if (d.severity !== 'error' || !d.span) continue;
    const text = d.file === undefined ? source : r.sources[d.file] ?? patternFiles[d.file];
    expect(text, `source of ${d.file}`).toBeDefined();
    expect(d.span.offset).toBeGreaterThanOrEqual(0);
    expect(d.span.end).toBeGreaterThanOrEqual(d.span.offset);
    expect(d.span.end).toBeLessThanOrEqual(text!.length);
    expect(positionOf(text!, d.span.offset)).toEqual({ line: d.span.line, col: d.span.col });
  }
  // Formatting the diagnostics never throws either.
  expect(typeof formatDiagnostics(r.diagnostics, source, 'patterns/fuzz.attn', { sources: r.sources })).toBe('string');
  if (f.text !== null) expect(formatSource(f.text).text).toBe(f.text);
}

const vocabulary = [
  ...KEYWORDS, ...BUILTIN_MASKS, ...BUILTIN_FUNCTIONS, ...PUNCTUATION,
  'q', 'k', 'h', 'l', 's', 'qb', 'kb', 'hkv', 'Nq', 'Nk', 'H', 'Hkv', 'L', 'x', 'ns', 'Q', 'K',
  '0', '1', '64', '2.5', '1e3', '131_072', '"a.attn"', '"p.json"', '#c\n', '\n', ' ', '\r\n',
];

describe('fuzz', () => {
  it('random token soup', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...vocabulary), { maxLength: 60 }), (toks) => checkSource(toks.join(' '))), { numRuns: 300 });
  });

  it('random strings and bytes', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => checkSource(s)), { numRuns: 200 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => checkSource(new TextDecoder().decode(bytes))), { numRuns: 100 });
  });

  it('mutated shipped patterns', () => {
    expect(patterns.length).toBeGreaterThan(0);
    const mutation = fc.record({
      which: fc.nat(),
      at: fc.nat(),
      len: fc.integer({ min: 0, max: 12 }),
      insert: fc.oneof(fc.constantFrom(...vocabulary), fc.string({ maxLength: 4 })),
      kind: fc.constantFrom('delete', 'insert', 'replace', 'duplicate', 'swap-lines'),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        let src = patterns[ms[0]!.which % patterns.length]!;
        for (const m of ms) {
          const at = m.at % (src.length + 1);
          switch (m.kind) {
            case 'delete': src = src.slice(0, at) + src.slice(at + m.len); break;
            case 'insert': src = src.slice(0, at) + m.insert + src.slice(at); break;
            case 'replace': src = src.slice(0, at) + m.insert + src.slice(at + m.len); break;
            case 'duplicate': src = src.slice(0, at) + src.slice(at, at + m.len * 4) + src.slice(at); break;
            case 'swap-lines': {
              const lines = src.split('\n');
              const i = m.at % lines.length, j = m.which % lines.length;
              [lines[i], lines[j]] = [lines[j]!, lines[i]!];
              src = lines.join('\n');
            }
          }
        }
        checkSource(src);
      }),
      { numRuns: 400 },
    );
  });
});
