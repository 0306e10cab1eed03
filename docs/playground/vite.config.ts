// Build of the playground: a static single-page app under docs/playground/dist that runs the
// whole compiler in the browser (in a Web Worker). `npm run playground:build` builds it;
// `attnc playground` serves the result.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root: here,
  // Relative asset URLs: the built folder works from any path (a docs site, a file server).
  base: './',
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
    reportCompressedSize: true,
  },
  worker: { format: 'es' },
  // The app imports the compiler and patterns/ from the repository root.
  server: { fs: { allow: [repoRoot] } },
});
