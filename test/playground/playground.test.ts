// End-to-end: the built playground in a real (headless) Chromium. Picks an example, types an
// error and finds it in the problems list worded as the CLI words it, fixes it and sees the
// mask heatmap and the tile map change (canvas pixels), sees the CUDA and WGSL tabs fill, and
// saves a screenshot under test-output/.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PLAYGROUND_DIST } from '../../src/cli/commands/playground.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileToIr, formatDiagnostic, formatSource } from '../../src/api.ts';
import {
  canvasSignature, differingCells, editorText, openPlayground, typeSource, waitForMask, waitForTiles, WAIT_MS,
  type PlaygroundSession,
} from './browser.ts';

const OUT = 'test-output';
const BROKEN = 'param w = 256\nmask = causal and (window(w) or sinks(n_sink))';
const FIXED = 'param w = 256\nmask = causal and (window(w) or sinks(64))';

/** Raw and gzip (level 9) bytes of every built file. */
function assetSizes(): Record<string, { bytes: number; gzip: number }> {
  const out: Record<string, { bytes: number; gzip: number }> = {};
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name), `${prefix}${entry.name}/`);
      else {
        const bytes = readFileSync(join(dir, entry.name));
        out[`${prefix}${entry.name}`] = { bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
      }
    }
  };
  walk(PLAYGROUND_DIST, '');
  return out;
}

describe('playground in Chromium', { timeout: 300_000 }, () => {
  let session: PlaygroundSession;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    session = await openPlayground();
  }, 300_000);

  afterAll(async () => {
    await session?.close();
  });

  it('renders the default example: mask, tile map, no problems', async () => {
    const { page } = session;
    await waitForMask(page);
    await expect.poll(() => page.textContent('#problems')).toContain('No problems');
    const timing = await page.evaluate(() => ({
      example: (document.getElementById('example') as HTMLSelectElement).value,
      // All from navigation start, except firstCompileMs (the worker's compile + analysis).
      domContentLoadedMs: Math.round(performance.getEntriesByType('navigation')[0]?.toJSON().domContentLoadedEventEnd ?? -1),
      scriptStartMs: Number(document.body.dataset.scriptStartMs),
      firstCompileMs: Number(document.body.dataset.firstCompileMs),
      firstRenderMs: Number(document.body.dataset.firstRenderMs),
    }));
    expect(timing.firstRenderMs).toBeGreaterThan(0);
    // Recorded for docs/playground.md, "Performance".
    writeFileSync(`${OUT}/playground-perf.json`, JSON.stringify({ ...timing, assets: assetSizes() }, null, 2));
  });

  it('picks an example, shows a typed error like the CLI, and redraws after the fix', async () => {
    const { page } = session;
    let generation = await waitForMask(page);
    await page.selectOption('#example', 'sliding_window');
    generation = await waitForMask(page, generation);
    expect(await editorText(page)).toContain('window(');
    const maskBefore = await canvasSignature(page, '#mask-canvas');
    const tilesBefore = await canvasSignature(page, '#tile-canvas');

    await typeSource(page, BROKEN);
    await page.waitForSelector('#problems li.error', { timeout: WAIT_MS });
    const problem = (await page.textContent('#problems li.error'))!;
    // The same first line as the CLI's formatDiagnostic.
    const expected = compileToIr(BROKEN, { file: 'patterns/sliding_window.attn' }).diagnostics.find((d) => d.severity === 'error')!;
    const cliLine = formatDiagnostic(expected, BROKEN, 'patterns/sliding_window.attn').split('\n')[0]!;
    expect(problem.startsWith(cliLine)).toBe(true);
    expect(problem).toContain(expected.code);
    // ... and a squiggle in the editor.
    expect(await page.locator('#editor .cm-lintRange-error').count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${OUT}/playground-error.png` });

    await typeSource(page, FIXED);
    await page.waitForSelector('#problems li.empty', { timeout: WAIT_MS });
    generation = await waitForMask(page, generation);
    await waitForTiles(page, generation - 1);
    const maskAfter = await canvasSignature(page, '#mask-canvas');
    const tilesAfter = await canvasSignature(page, '#tile-canvas');
    expect(differingCells(maskBefore, maskAfter)).toBeGreaterThan(10);
    expect(differingCells(tilesBefore, tilesAfter)).toBeGreaterThan(10);
    expect(await page.locator('#editor .cm-lintRange-error').count()).toBe(0);
  });

  it('formats on Shift-Alt-F like attnc fmt', async () => {
    const { page } = session;
    const messy = 'param   w=256\nmask=causal   and (window( w )or sinks(64))';
    let generation = await waitForMask(page);
    await typeSource(page, messy);
    await page.keyboard.press('Shift+Alt+F');
    const expected = formatSource(messy).text!;
    await expect.poll(() => editorText(page)).toBe(expected);
    // Same mask as FIXED: the page recompiles, the views come back.
    generation = await waitForMask(page, generation);
    expect(generation).toBeGreaterThan(0);
  });

  it('completes built-ins with their one-line docs', async () => {
    const { page } = session;
    await page.click('#editor .cm-content');
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('let near = wind');
    await page.keyboard.press('Control+Space');
    await page.waitForSelector('.cm-tooltip-autocomplete', { timeout: WAIT_MS });
    await expect
      .poll(() => page.locator('.cm-tooltip-autocomplete li').allTextContents(), { timeout: WAIT_MS })
      .toEqual(expect.arrayContaining([expect.stringMatching(/^window\b/)]));
    await page.waitForSelector('.cm-completionInfo', { timeout: WAIT_MS });
    expect(await page.textContent('.cm-completionInfo')).toContain('allows (q, k) when');
    await page.keyboard.press('Escape');
    // Back to the fixed source for the next steps.
    await typeSource(page, FIXED);
    await page.waitForSelector('#problems li.empty', { timeout: WAIT_MS });
  });

  it('fills the CUDA and WGSL tabs', async () => {
    const { page } = session;
    await page.click('[data-tab="cuda"]');
    await page.waitForSelector('pre[data-target="cuda"]', { timeout: WAIT_MS });
    expect(await page.textContent('pre[data-target="cuda"]')).toMatch(/__device__|__global__|#include/);
    await page.click('[data-tab="wgsl"]');
    await page.waitForSelector('pre[data-target="wgsl"]', { timeout: WAIT_MS });
    expect(await page.textContent('pre[data-target="wgsl"]')).toMatch(/\bfn\b/);
  });

  it('says plainly when WebGPU is not available', async () => {
    const { page } = session;
    await page.click('[data-tab="run"]');
    const text = await page.textContent('#output-body');
    expect(text).toContain('WebGPU isn’t available');
  });

  it('explains a hovered cell and keeps the source in the URL', async () => {
    const { page } = session;
    await page.click('[data-tab="cuda"]');
    const box = (await page.locator('#mask-canvas').boundingBox())!;
    // A point inside the matrix (the plot is centred horizontally, top-aligned).
    await page.mouse.move(box.x + box.width / 2 + 3, box.y + 22 + box.width * 0.2);
    await page.waitForSelector('#mask-tooltip:not([hidden])', { timeout: WAIT_MS });
    const tooltip = (await page.textContent('#mask-tooltip'))!;
    expect(tooltip).toMatch(/q = \d+, k = \d+/);
    expect(tooltip).toContain('rule');
    await page.screenshot({ path: `${OUT}/playground.png` });

    await expect.poll(() => page.evaluate(() => location.hash)).toContain('code=');
    const hash = await page.evaluate(() => location.hash.slice(1));
    const second = await openPlayground({ hash });
    try {
      await waitForMask(second.page);
      expect(await editorText(second.page)).toBe(FIXED);
    } finally {
      await second.close();
    }
  });

  it('logged no page errors', () => {
    expect(session.errors).toEqual([]);
  });
});
