// The output tabs: the emitted CUDA, WGSL, launch metadata, FlexAttention mask_mod and the IR,
// each as the files the CLI would write (with a copy button), plus the Run tab (run.ts).
import type { OutputView } from './protocol.ts';

export type TabId = OutputView['target'] | 'run';

const TABS: { id: TabId; title: string }[] = [
  { id: 'cuda', title: 'CUDA' },
  { id: 'wgsl', title: 'WGSL' },
  { id: 'metadata', title: 'Launch metadata' },
  { id: 'flex', title: 'FlexAttention' },
  { id: 'ir', title: 'IR' },
  { id: 'run', title: 'Run (WebGPU)' },
];

export class OutputTabs {
  private selected: TabId = 'cuda';
  private readonly outputs = new Map<TabId, OutputView>();
  private readonly buttons = new Map<TabId, HTMLButtonElement>();
  private fileIndex = new Map<TabId, number>();
  private runPanel: HTMLElement | undefined;

  constructor(
    private readonly tabBar: HTMLElement,
    private readonly body: HTMLElement,
  ) {
    for (const tab of TABS) {
      const button = document.createElement('button');
      button.type = 'button';
      button.role = 'tab';
      button.dataset.tab = tab.id;
      button.textContent = tab.title;
      button.addEventListener('click', () => this.select(tab.id));
      this.buttons.set(tab.id, button);
      this.tabBar.append(button);
    }
    this.select('cuda');
  }

  /** The Run tab's content is owned by the runner. */
  setRunPanel(panel: HTMLElement): void {
    this.runPanel = panel;
    if (this.selected === 'run') this.render();
  }

  select(id: TabId): void {
    this.selected = id;
    for (const [tab, button] of this.buttons) button.setAttribute('aria-selected', String(tab === id));
    this.render();
  }

  /** Marks every code tab as waiting for the compile in flight. */
  pending(): void {
    for (const [id, output] of this.outputs) this.outputs.set(id, { ...output, message: output.message ?? undefined });
  }

  setOutput(output: OutputView): void {
    this.outputs.set(output.target, output);
    const button = this.buttons.get(output.target);
    if (button) {
      const count = output.files.length;
      button.dataset.state = count > 0 ? 'ready' : 'empty';
      const meta = count > 1 ? ` (${count})` : '';
      button.replaceChildren(document.createTextNode(TABS.find((t) => t.id === output.target)!.title));
      if (meta) {
        const span = document.createElement('span');
        span.className = 'tab-meta';
        span.textContent = meta.trim();
        button.append(span);
      }
    }
    if (this.selected === output.target) this.render();
  }

  private render(): void {
    const scroll = this.body.scrollTop;
    this.body.replaceChildren();
    if (this.selected === 'run') {
      if (this.runPanel) this.body.append(this.runPanel);
      return;
    }
    const output = this.outputs.get(this.selected);
    if (!output || output.files.length === 0) {
      const message = document.createElement('div');
      message.className = 'message';
      message.textContent = output?.message ?? 'Compiling…';
      this.body.append(message);
      return;
    }
    const index = Math.min(this.fileIndex.get(this.selected) ?? 0, output.files.length - 1);
    const file = output.files[index]!;
    const bar = document.createElement('div');
    bar.className = 'file-bar';
    if (output.files.length > 1) {
      const picker = document.createElement('select');
      picker.setAttribute('aria-label', 'File');
      output.files.forEach((f, i) => picker.append(new Option(f.path, String(i), i === index, i === index)));
      picker.addEventListener('change', () => {
        this.fileIndex.set(this.selected, Number(picker.value));
        this.render();
      });
      bar.append(picker);
    } else {
      const name = document.createElement('span');
      name.className = 'file-name';
      name.textContent = file.path;
      bar.append(name);
    }
    const info = document.createElement('span');
    const lines = file.contents.split('\n').length;
    info.textContent = `${lines} lines${output.millis !== undefined ? ` · generated in ${output.millis.toFixed(0)} ms` : ''}`;
    const spacer = document.createElement('span');
    spacer.className = 'spacer';
    const copy = document.createElement('button');
    copy.type = 'button';
    copy.textContent = 'Copy';
    copy.addEventListener('click', async () => {
      await navigator.clipboard?.writeText(file.contents).catch(() => undefined);
      copy.textContent = 'Copied';
      setTimeout(() => (copy.textContent = 'Copy'), 1200);
    });
    bar.append(info, spacer, copy);
    const pre = document.createElement('pre');
    pre.className = `output-${this.selected}`;
    pre.dataset.target = this.selected;
    pre.textContent = file.contents;
    this.body.append(bar, pre);
    this.body.scrollTop = scroll;
  }
}
