// Test harness for the playground: builds the page, serves it with `attnc playground`'s own
// server, and drives Debian's Chromium through playwright-core (no downloaded browser).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildPlayground, servePlayground, type PlaygroundServer } from '../../src/cli/commands/playground.ts';

export const CHROMIUM = process.env.ATTNC_CHROMIUM ?? '/usr/bin/chromium';

/** Generous: CI machines running the whole suite in parallel can be slow. */
export const WAIT_MS = 90_000;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface PlaygroundSession {
  server: PlaygroundServer;
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors, for a final "no errors" check. */
  errors: string[];
  close(): Promise<void>;
}

let built: Promise<void> | undefined;
/** Builds docs/playground once per test process. */
export function buildOnce(): Promise<void> {
  built ??= buildPlayground({ quiet: true });
  return built;
}

export async function openPlayground(options: { hash?: string; viewport?: { width: number; height: number } } = {}): Promise<PlaygroundSession> {
  await buildOnce();
  const server = await servePlayground({ port: 0 });
  const userDataDir = mkdtempSync(join(tmpdir(), 'attnc-playground-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1600, height: 1000 },
    deviceScaleFactor: 1,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  await page.goto(`${server.url}${options.hash ? `#${options.hash}` : ''}`);
  return {
    server,
    context,
    page,
    errors,
    async close() {
      await context.close();
      await server.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until the mask of a compile newer than `after` has been drawn; returns its generation. */
export async function waitForMask(page: Page, after = -1): Promise<number> {
  await page.waitForFunction((prev) => Number(document.body.dataset.maskGeneration ?? -1) > prev, after, { timeout: WAIT_MS });
  return Number(await page.evaluate(() => document.body.dataset.maskGeneration));
}

/** Waits until the tile map of a compile newer than `after` has been drawn. */
export async function waitForTiles(page: Page, after = -1): Promise<number> {
  await page.waitForFunction((prev) => Number(document.body.dataset.tileGeneration ?? -1) > prev, after, { timeout: WAIT_MS });
  return Number(await page.evaluate(() => document.body.dataset.tileGeneration));
}

/**
 * A canvas's pixels reduced to a `cells x cells` grid of mean luminance (0..255), read with
 * getImageData inside the page: enough to tell two pictures apart, small enough to compare.
 */
export async function canvasSignature(page: Page, selector: string, cells = 32): Promise<number[]> {
  return page.evaluate(
    ({ selector, cells }) => {
      const canvas = document.querySelector(selector) as HTMLCanvasElement;
      const ctx = canvas.getContext('2d')!;
      const { width, height } = canvas;
      const data = ctx.getImageData(0, 0, width, height).data;
      const sums = new Float64Array(cells * cells);
      const counts = new Float64Array(cells * cells);
      for (let y = 0; y < height; y++) {
        const cy = Math.min(cells - 1, Math.floor((y * cells) / height));
        for (let x = 0; x < width; x++) {
          const cx = Math.min(cells - 1, Math.floor((x * cells) / width));
          const i = 4 * (y * width + x);
          sums[cy * cells + cx] += 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
          counts[cy * cells + cx] += 1;
        }
      }
      return Array.from(sums, (s, i) => Math.round(s / Math.max(1, counts[i]!)));
    },
    { selector, cells },
  );
}

/** How many grid cells of two signatures differ by more than `tolerance` luminance levels. */
export function differingCells(a: number[], b: number[], tolerance = 8): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > tolerance) n++;
  return n;
}

/** Replaces the editor's text by typing it, as a user would (select all, then type). */
export async function typeSource(page: Page, text: string): Promise<void> {
  await page.click('#editor .cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  // Typed line by line: Enter goes through the editor's own newline command.
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (i > 0) {
      // Close the completion popup first, or Enter would accept a completion.
      await page.keyboard.press('Escape');
      await page.keyboard.press('Enter');
    }
    await page.keyboard.type(lines[i]!, { delay: 0 });
  }
}

/** The editor's current text, from CodeMirror's own state. */
export async function editorText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const lines = Array.from(document.querySelectorAll('#editor .cm-line'), (l) => l.textContent ?? '');
    return lines.join('\n');
  });
}
