// `attnc playground`'s static server: serves files with their types, refuses paths outside its
// root, answers 404 and 405 plainly.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servePlayground, type PlaygroundServer } from '../../src/cli/commands/playground.ts';

describe('playground static server', () => {
  let root: string;
  let served: PlaygroundServer;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'attnc-playground-root-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(root, 'assets', 'app-1234.js'), 'console.log(1)');
    writeFileSync(join(root, '..', 'attnc-secret.txt'), 'secret');
    served = await servePlayground({ root, port: 0 });
  });

  afterAll(async () => {
    await served.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(join(root, '..', 'attnc-secret.txt'), { force: true });
  });

  it('serves index.html for / and files with their content types', async () => {
    const page = await fetch(served.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const script = await fetch(new URL('assets/app-1234.js', served.url));
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect(await script.text()).toBe('console.log(1)');
  });

  it('listens on localhost only by default', () => {
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('refuses paths outside its root and unknown files', async () => {
    for (const path of ['/../attnc-secret.txt', '/%2e%2e/attnc-secret.txt', '/..%2fattnc-secret.txt']) {
      const res = await fetch(`${served.url.replace(/\/$/, '')}${path}`);
      expect([403, 404]).toContain(res.status);
      expect(await res.text()).not.toContain('secret');
    }
    expect((await fetch(new URL('nope.js', served.url))).status).toBe(404);
  });

  it('answers 405 to anything but GET and HEAD', async () => {
    expect((await fetch(served.url, { method: 'POST', body: 'x' })).status).toBe(405);
    const head = await fetch(served.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });
});
