// `attnc analyze` as a child process: the table, --json (schema-valid), --svg and --png, and
// the exit code of a failing `require coverage`.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { AnalysisReport } from '../../src/analysis/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'attnc-analyze-'));

function attnc(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/attnc.js', ...args], { cwd: root });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('attnc analyze', () => {
  it('prints a table with classes, coverage, reachability and timing', async () => {
    const r = await attnc(['analyze', 'patterns/s2_attention.attn', '--seq', '16384', '--tile', '128x64']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/s2_attention: Nq=16384/);
    expect(r.stdout).toMatch(/closed_form/);
    expect(r.stdout).toMatch(/coverage: ok/);
    expect(r.stdout).toMatch(/reachability: every query sees every earlier key after 1 layer/);
    expect(r.stdout).toMatch(/time: [0-9.]+ ms/);
  }, 120_000);

  it('--json is a valid AnalysisReport; --svg and --png write pictures', async () => {
    const svg = join(tmp, 'tiles.svg'), png = join(tmp, 'tiles.png');
    const r = await attnc(['analyze', 'patterns/bigbird.attn', '--json', '--svg', svg, '--png', png, '--set', 'random=2']);
    expect(r.code).toBe(0);
    const report = AnalysisReport.parse(JSON.parse(r.stdout));
    expect(report.classes.length).toBe(12);
    expect(report.classes[0]!.schedule.kind).toBe('csr');
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg/);
    const img = PNG.sync.read(readFileSync(png));
    expect(img.width).toBeGreaterThan(10);
  }, 120_000);

  it('exits 1 with an error when require coverage fails', async () => {
    const f = join(tmp, 'uncovered.attn');
    writeFileSync(f, 'sizes Nq = 2048, H = 4\nmask = causal and (local_blocks(2) or shard(8))\nrequire coverage\n');
    const r = await attnc(['analyze', f]);
    expect(r.code).toBe(1);
    // located at the `coverage` item of the require statement, with a code frame and a note on the mask
    expect(r.stderr).toMatch(/uncovered\.attn:3:9: error E901\[coverage-failed\]: layer 0: no head attends query \d+ to key \d+/);
    expect(r.stderr).toContain('3 | require coverage\n  |         ^^^^^^^^');
    expect(r.stderr).toMatch(/= note: the heads of layer 0 get their masks here \(\S*uncovered\.attn:2:1\)/);
  }, 120_000);
});
