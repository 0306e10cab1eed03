// The compiler worker: the whole pipeline runs here so that typing never waits for it. It
// compiles the source (front end), evaluates the mask for the visible window (reference),
// classifies tiles and gathers statistics (analysis), emits the kernels (codegen) and runs the
// WGSL kernel (WebGPU runner). Answers go back as plain data (protocol.ts).
import type { FromWorker, ToWorker } from './protocol.ts';
import { compilePattern, formatPattern, type CompiledPattern } from './worker/compile.ts';
import { explain } from './worker/explain.ts';
import { rasterize } from './worker/raster.ts';
import { tileMap } from './worker/tiles.ts';
import { emitOutputs } from './worker/outputs.ts';
import { runOnWebGpu } from './worker/run.ts';

// The DOM library types `self` as a Window; in this file it is the worker's global scope.
const scope = self as unknown as Worker;

const FIRST_OUTPUT_DELAY_MS = 40;

let current: CompiledPattern | undefined;
/** The newest compile asked for; slower follow-up work for older ones is dropped. */
let latestGeneration = 0;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

scope.addEventListener('message', (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  try {
    handle(message);
  } catch (error) {
    // Every request gets an answer, so the page's one-slot queues never stall.
    const text = errorText(error);
    switch (message.kind) {
      case 'compile':
        post({ kind: 'compiled', generation: message.generation, diagnostics: [], millis: 0 });
        post({ kind: 'fatal', message: text });
        break;
      case 'raster': post({ kind: 'raster', generation: message.generation, unavailable: text }); break;
      case 'tiles': post({ kind: 'tiles', generation: message.generation, unavailable: text }); break;
      case 'explain': post({ kind: 'explain', generation: message.generation, unavailable: text }); break;
      case 'format': post({ kind: 'formatted', requestId: message.requestId, error: text }); break;
      case 'run': post({ kind: 'run', generation: message.generation, report: { ok: false, message: text, rows: [] } }); break;
    }
  }
});

function handle(message: ToWorker): void {
  switch (message.kind) {
    case 'compile': {
      latestGeneration = message.generation;
      const started = performance.now();
      const result = compilePattern(message, (diagnostics) =>
        post({ kind: 'diagnostics', generation: message.generation, diagnostics }),
      );
      const millis = performance.now() - started;
      if (result.compiled) current = result.compiled;
      post({
        kind: 'compiled',
        generation: message.generation,
        diagnostics: result.diagnostics,
        summary: result.compiled?.summary,
        analysis: result.compiled?.analysisView,
        millis,
      });
      if (result.compiled) scheduleOutputs(result.compiled);
      return;
    }
    case 'raster': {
      const compiled = matching(message.generation);
      if (!compiled) {
        post({ kind: 'raster', generation: message.generation, unavailable: 'stale request' });
        return;
      }
      const raster = rasterize(compiled, message.l, message.h, message.request);
      post({ kind: 'raster', generation: message.generation, raster }, [raster.density.buffer]);
      return;
    }
    case 'tiles': {
      const compiled = matching(message.generation);
      const result = compiled ? tileMap(compiled, message.l, message.h) : { unavailable: 'stale request' };
      post({ kind: 'tiles', generation: message.generation, ...result });
      return;
    }
    case 'explain': {
      const compiled = matching(message.generation);
      if (!compiled) {
        post({ kind: 'explain', generation: message.generation, unavailable: 'stale request' });
        return;
      }
      post({ kind: 'explain', generation: message.generation, explanation: explain(compiled, message.l, message.h, message.q, message.k) });
      return;
    }
    case 'format': {
      const result = formatPattern(message.source);
      post({ kind: 'formatted', requestId: message.requestId, ...result });
      return;
    }
    case 'run': {
      const compiled = matching(message.generation);
      if (!compiled) {
        post({ kind: 'run', generation: message.generation, report: { ok: false, message: 'The pattern changed; run again.', rows: [] } });
        return;
      }
      void runOnWebGpu(compiled, message.l, message.settings).then(
        (report) => post({ kind: 'run', generation: message.generation, report }),
        (error) => post({ kind: 'run', generation: message.generation, report: { ok: false, message: errorText(error), rows: [] } }),
      );
      return;
    }
  }
}

function matching(generation: number): CompiledPattern | undefined {
  return current && current.generation === generation ? current : undefined;
}

/**
 * Emits the kernels one target at a time, each in its own task, so a newer compile request
 * that arrives meanwhile is handled first and the older outputs are abandoned.
 */
function scheduleOutputs(compiled: CompiledPattern): void {
  const steps = emitOutputs(compiled);
  const next = () => {
    if (compiled.generation !== latestGeneration) return;
    const step = steps.next();
    if (step.done) return;
    post({ kind: 'output', generation: compiled.generation, output: step.value });
    setTimeout(next, 0);
  };
  // A short grace period first: the page's raster and tile requests for this compile arrive
  // within milliseconds and are drawn before any kernel is emitted.
  setTimeout(next, FIRST_OUTPUT_DELAY_MS);
}
