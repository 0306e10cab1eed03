// `attnc mask` end to end: txt, json and png output, generated runtime inputs, and errors as
// diagnostics (file:line:col), never stack traces.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/attnc.js', import.meta.url).pathname;
const PATTERNS = new URL('../../patterns/', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync('node', [BIN, 'mask', ...args], { encoding: 'utf8' });

describe('attnc mask', () => {
  it('draws a small causal mask one character per element', () => {
    const dir = mkdtempSync(join(tmpdir(), 'attnc-mask-'));
    writeFileSync(join(dir, 'c.attn'), 'mask = causal and window(1)\n');
    const r = run(join(dir, 'c.attn'), '--seq', '4', '--heads', '1');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('layer 0, head 0');
    expect(r.stdout).toContain(['█···', '██··', '·██·', '··██'].join('\n'));
  });

  it('json gives sizes and rows per head; runtime inputs come from --seed and are noted', () => {
    const out = execFileSync('node', [BIN, 'mask', join(PATTERNS, 'packed_documents.attn'), '--seq', '20', '--heads', '2', '--format', 'json', '--seed', '5'], { encoding: 'utf8' });
    const json = JSON.parse(out);
    expect(json.sizes).toMatchObject({ Nq: 20, Nk: 20, H: 2 });
    expect(json.heads).toHaveLength(2);
    expect(json.heads[0].rows).toHaveLength(20);
    expect(json.heads[0].rows[0]).toMatch(/^1[01]{19}$/);
    expect(json.notes.join(' ')).toMatch(/--seed 5/);
  });

  it('png writes a grid of heads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'attnc-mask-'));
    const file = join(dir, 'm.png');
    const r = run(join(PATTERNS, 's2_attention.attn'), '--seq', '128', '--heads', '4', '--set', 'local=1', '--format', 'png', '-o', file);
    expect(r.status).toBe(0);
    const png = PNG.sync.read(readFileSync(file));
    expect(png.width).toBeGreaterThan(2 * 128);
    expect(png.height).toBeGreaterThan(2 * 128);
  });

  it('errors are diagnostics with file:line:col, not stack traces', () => {
    const dir = mkdtempSync(join(tmpdir(), 'attnc-mask-'));
    const file = join(dir, 'bad.attn');
    writeFileSync(file, 'mask = causal and windw(3)\n');
    const r = run(file, '--seq', '8');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:1:19: error`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const usage = run(join(PATTERNS, 'causal.attn'), '--seq', '8', '--layer', '5');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--layer 5 is out of range');
    expect(usage.stderr).not.toMatch(/\n\s+at /);
  });
});
