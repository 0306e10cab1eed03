// The page's side of the compiler worker. Requests of one kind are "latest wins": while one is
// in flight, newer ones replace each other in a one-slot queue, so a burst of keystrokes or
// wheel events costs at most one stale computation.
import type { FromWorker, ToWorker } from './protocol.ts';

type Kind = ToWorker['kind'];

export class CompilerClient {
  private readonly worker: Worker;
  private readonly inFlight = new Set<Kind>();
  private readonly queued = new Map<Kind, ToWorker>();
  private listener: (message: FromWorker) => void = () => undefined;

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'attnc-compiler' });
    this.worker.addEventListener('message', (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      const done = completes(message);
      if (done) {
        this.inFlight.delete(done);
        const next = this.queued.get(done);
        if (next) {
          this.queued.delete(done);
          this.post(next);
        }
      }
      this.listener(message);
    });
    this.worker.addEventListener('error', (event) => {
      this.listener({ kind: 'fatal', message: event.message || 'the compiler worker failed to start' });
    });
  }

  onMessage(listener: (message: FromWorker) => void): void {
    this.listener = listener;
  }

  send(message: ToWorker): void {
    if (this.inFlight.has(message.kind)) {
      this.queued.set(message.kind, message);
      return;
    }
    this.post(message);
  }

  private post(message: ToWorker): void {
    this.inFlight.add(message.kind);
    this.worker.postMessage(message);
  }
}

/** Which request kind an answer completes. */
function completes(message: FromWorker): Kind | undefined {
  switch (message.kind) {
    case 'compiled': return 'compile';
    case 'raster': return 'raster';
    case 'tiles': return 'tiles';
    case 'explain': return 'explain';
    case 'formatted': return 'format';
    case 'run': return 'run';
    default: return undefined;
  }
}
