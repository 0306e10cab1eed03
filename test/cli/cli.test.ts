// The attnc command, run as a child process: exit codes, output streams, formatting in place.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'attnc-cli-'));

/** Run bin/attnc.js asynchronously (a blocking spawn would stall the test worker). */
function attnc(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/attnc.js', ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

// Each run starts tsx and loads every command module: allow for a loaded machine.
describe('attnc', { timeout: 300_000 }, () => {
  const good = file('good.attn', 'param w = 64\nmask = causal and window(w)\n');
  const warn = file('warn.attn', 'param unused = 1\nmask = causal\n');
  const bad = file('bad.attn', 'mask = causal and windw(64)\n');
  const ugly = file('ugly.attn', 'mask=causal   and window( 64 )\n');

  it('--help lists commands, examples and exit codes', async () => {
    const r = (await attnc(['--help']));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('check');
    expect(r.stdout).toContain('Exit codes');
    expect(r.stdout).toContain('Examples');
  });

  it('check: 0 for a clean file, warnings printed but still 0', async () => {
    expect((await attnc(['check', good])).code).toBe(0);
    const r = (await attnc(['check', warn]));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning W901[unused-param]');
  });

  it('check: 1 with formatted diagnostics on error', async () => {
    const r = (await attnc(['check', good, bad]));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:1:19: error E109[unknown-function]: unknown function 'windw'`);
    expect(r.stderr).toContain("= help: did you mean 'window'?");
    expect(r.stderr).toMatch(/\^\^\^\^\^/);
  });

  it('usage errors exit 2', async () => {
    expect((await attnc(['check'])).code).toBe(2);
    expect((await attnc(['check', join(tmp, 'missing.attn')])).code).toBe(2);
    expect((await attnc(['ir', good, '--seq', 'abc'])).code).toBe(2);
    expect((await attnc(['frobnicate'])).code).toBe(2);
    expect((await attnc(['ir', good, '--set', 'novalue'])).code).toBe(2);
  });

  it('ir: readable text and JSON, with size and param overrides', async () => {
    const text = (await attnc(['ir', good]));
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('mask = k <= q and q - 64 <= k');
    const json = (await attnc(['ir', good, '--json', '--seq', '512', '--heads', '4', '--set', 'w=8']));
    expect(json.code).toBe(0);
    const ir = JSON.parse(json.stdout);
    expect(ir.sizes).toMatchObject({ Nq: 512, Nk: 512, H: 4 });
    expect(ir.params).toEqual([{ name: 'w', type: 'int', value: 8 }]);
    expect(ir.name).toBe('good');
  });

  it('ir: an unknown --set name is a diagnostic (exit 1)', async () => {
    const r = (await attnc(['ir', good, '--set', 'width=3']));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('E406[invalid-override]');
  });

  it('fmt prints, --check reports, --write rewrites', async () => {
    const r = (await attnc(['fmt', ugly]));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('mask = causal and window(64)\n');
    expect((await attnc(['fmt', '--check', ugly])).code).toBe(1);
    expect((await attnc(['fmt', '--write', ugly])).code).toBe(0);
    expect(readFileSync(ugly, 'utf8')).toBe('mask = causal and window(64)\n');
    expect((await attnc(['fmt', '--check', ugly])).code).toBe(0);
    expect((await attnc(['fmt', bad])).code).toBe(0);
    expect((await attnc(['fmt', file('syntax.attn', 'mask = (')])).code).toBe(1);
  });

  it('never prints a stack trace for junk input', async () => {
    const junk = join(tmp, 'junk.attn');
    writeFileSync(junk, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    for (const cmd of [['check', junk], ['fmt', junk], ['ir', junk]]) {
      const r = (await attnc(cmd));
      expect(r.code).toBe(1);
      expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    }
  });
});
