/// <reference types="@webgpu/types" />
// The Run tab: runs the emitted WGSL kernel on random inputs through WebGPU (in the worker,
// which has the compiled pattern and the reference), checks it against the float64 reference
// and shows the time. Without WebGPU it says so plainly instead of pretending.
import type { FromWorker, OutputView, PatternSummary, RunReport, ToWorker } from './protocol.ts';

const SEQ_CHOICES = [128, 256, 512, 1024, 2048];

/**
 * Whether this browser can run WebGPU compute here: `navigator.gpu` exists and hands out an
 * adapter (browsers with the API but no usable GPU, e.g. with GPU access disabled, give none).
 */
export async function probeWebGpu(): Promise<{ available: boolean; reason: string }> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { available: false, reason: 'this browser has no WebGPU (navigator.gpu is missing)' };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { available: false, reason: 'the browser has WebGPU but offers no GPU adapter (GPU access may be disabled or blocked)' };
    const info = adapter.info;
    return { available: true, reason: info?.description || info?.vendor || 'WebGPU adapter' };
  } catch (error) {
    return { available: false, reason: `requesting a WebGPU adapter failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export class Runner {
  readonly panel: HTMLElement;
  private readonly button: HTMLButtonElement;
  private readonly seqSelect: HTMLSelectElement;
  private readonly result: HTMLElement;
  private readonly intro: HTMLElement;
  private wgslReady = false;
  private running = false;
  private webgpu: { available: boolean; reason: string } | undefined;

  constructor(
    private readonly context: () => { generation: number; summary: PatternSummary | undefined; layer: number },
    private readonly send: (message: ToWorker) => void,
  ) {
    this.panel = document.createElement('div');
    this.panel.className = 'run-view';
    this.intro = document.createElement('div');
    const row = document.createElement('div');
    row.className = 'run-row';
    this.seqSelect = document.createElement('select');
    this.seqSelect.setAttribute('aria-label', 'Sequence length of the run');
    for (const n of SEQ_CHOICES) this.seqSelect.append(new Option(`Nq = Nk = ${n}`, String(n), n === 512, n === 512));
    this.button = document.createElement('button');
    this.button.type = 'button';
    this.button.className = 'primary';
    this.button.textContent = 'Run on WebGPU';
    this.button.addEventListener('click', () => this.run());
    const note = document.createElement('span');
    note.className = 'dim';
    note.textContent = 'D = 64, batch 1, Gaussian Q, K, V; checked against the float64 reference';
    row.append(this.seqSelect, this.button, note);
    this.result = document.createElement('div');
    this.panel.append(this.intro, row, this.result);
    this.refresh();
    void probeWebGpu().then((probe) => {
      this.webgpu = probe;
      this.refresh();
    });
  }

  /** WGSL for the current compile arrived (or failed). */
  setWgsl(output: OutputView): void {
    this.wgslReady = output.files.length > 0;
    this.refresh();
  }

  refresh(): void {
    const { summary } = this.context();
    if (!this.webgpu) {
      this.intro.textContent = 'Looking for a WebGPU adapter…';
      this.button.disabled = true;
      return;
    }
    if (!this.webgpu.available) {
      this.intro.replaceChildren();
      const strong = document.createElement('strong');
      strong.textContent = 'WebGPU isn’t available here, so the WGSL kernel can’t run in this page.';
      const why = document.createElement('div');
      why.textContent = `Reason: ${this.webgpu.reason}.`;
      const more = document.createElement('div');
      more.className = 'dim';
      more.textContent =
        'The WGSL tab still shows the kernel. To run it, open this page in a browser with WebGPU and a GPU ' +
        '(recent Chrome or Edge, Safari 26), or run the WGSL tests from Node (npm test runs them on lavapipe).';
      this.intro.append(strong, why, more);
      this.button.disabled = true;
      this.seqSelect.disabled = true;
      this.panel.dataset.webgpu = 'unavailable';
      return;
    }
    this.panel.dataset.webgpu = 'available';
    this.intro.textContent = summary
      ? `Adapter: ${this.webgpu.reason}. Runs layer ${this.context().layer} of ${summary.name} with all ${summary.sizes.H} heads.`
      : 'Compile a pattern first.';
    this.button.disabled = this.running || !summary || !this.wgslReady;
    this.seqSelect.disabled = this.running;
  }

  handle(message: Extract<FromWorker, { kind: 'run' }>): void {
    this.running = false;
    this.showReport(message.report);
    this.refresh();
  }

  private run(): void {
    const { generation, summary, layer } = this.context();
    if (!summary || generation < 0) return;
    this.running = true;
    this.result.textContent = 'Running…';
    this.refresh();
    this.send({ kind: 'run', generation, l: layer, settings: { seq: Number(this.seqSelect.value), D: 64, seed: 1 } });
  }

  private showReport(report: RunReport): void {
    this.result.replaceChildren();
    const verdict = document.createElement('div');
    verdict.className = report.ok ? 'ok' : 'bad';
    verdict.textContent = report.message;
    const table = document.createElement('table');
    for (const row of report.rows) {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.textContent = row.label;
      const td = document.createElement('td');
      td.textContent = row.value;
      tr.append(th, td);
      table.append(tr);
    }
    this.result.append(verdict, table);
  }
}
