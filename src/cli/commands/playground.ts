// `attnc playground`: serves the built playground (docs/playground/dist) on localhost with a
// small static file server, building it first with Vite when the folder is missing. The
// playground itself runs the compiler in the browser; this command only hands out files.
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { UsageError } from '../exit.ts';
import { defineCommand } from '../registry.ts';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const PLAYGROUND_DIR = join(REPO_ROOT, 'docs', 'playground');
export const PLAYGROUND_DIST = join(PLAYGROUND_DIR, 'dist');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.attn': 'text/plain; charset=utf-8',
};

/** Builds the playground into docs/playground/dist with Vite (a development dependency). */
export async function buildPlayground(options: { quiet?: boolean } = {}): Promise<void> {
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    throw new Error('building the playground needs Vite: run `npm install` (with development dependencies) first');
  }
  await vite.build({
    configFile: join(PLAYGROUND_DIR, 'vite.config.ts'),
    logLevel: options.quiet ? 'warn' : 'info',
  });
}

export interface PlaygroundServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Serves `root` on `host:port` (port 0: any free port). GET and HEAD only, no directory listings. */
export async function servePlayground(options: { root?: string; port?: number; host?: string } = {}): Promise<PlaygroundServer> {
  const root = resolve(options.root ?? PLAYGROUND_DIST);
  const host = options.host ?? '127.0.0.1';
  const server = createServer(async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    if (pathname.endsWith('/')) pathname += 'index.html';
    const file = normalize(join(root, pathname));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, {
        'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': body.length,
        // Hashed asset names never change; the page itself is always revalidated.
        'Cache-Control': pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found');
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => ok());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    url: `http://${shownHost}:${port}/`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export function registerPlaygroundCommand(program: Command): void {
  program
    .command('playground')
    .description('serve the playground (mask, tile classes, statistics and kernels, live in the browser) on localhost')
    .option('-p, --port <port>', 'port to listen on', '5173')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--build', 'rebuild the playground even if docs/playground/dist exists')
    .action(async (options: { port: string; host: string; build?: boolean }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new UsageError(`--port expects a port number (0 to 65535), got '${options.port}'`);
      }
      if (options.build || !existsSync(join(PLAYGROUND_DIST, 'index.html'))) {
        console.error('attnc playground: building docs/playground ...');
        await buildPlayground({ quiet: true });
      }
      const served = await servePlayground({ port, host: options.host });
      console.log(`attnc playground: serving ${served.url} (Ctrl-C to stop)`);
    });
}

defineCommand(registerPlaygroundCommand);
