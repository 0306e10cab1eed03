// Sliders for the sizes (Nq, Nk, H, Hkv, L) and the file's params. A slider's value is an
// override passed to the compiler like `--seq` / `--set name=value` on the command line;
// sliders left at the source's value pass nothing.
import type { ControlSpec, Override } from './protocol.ts';

const SEQUENCE_STEPS = [16, 32, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 32768, 65536, 131072];
const HEAD_STEPS = [1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 32, 40, 48, 64, 96, 128];
const LAYER_STEPS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 80, 96, 128];

/** The discrete values a control's slider moves through (always containing `around`). */
function stepsFor(spec: ControlSpec, current: number, headCount: number): number[] {
  const around = [Number(spec.sourceValue), current];
  let steps: number[];
  if (spec.kind === 'size') {
    if (spec.name === 'Nq' || spec.name === 'Nk') steps = SEQUENCE_STEPS;
    else if (spec.name === 'Hkv') steps = HEAD_STEPS.filter((d) => d <= headCount && headCount % d === 0);
    else if (spec.name === 'H') steps = HEAD_STEPS;
    else steps = LAYER_STEPS;
  } else {
    const base = Math.max(Math.abs(Number(spec.sourceValue)), 1);
    const hi = spec.type === 'int' ? Math.max(16, base * 4) : Math.max(1, base * 4);
    const lo = Number(spec.sourceValue) < 0 ? -hi : 0;
    const count = spec.type === 'int' ? Math.min(hi - lo, 200) : 200;
    steps = Array.from({ length: count + 1 }, (_, i) => {
      const v = lo + ((hi - lo) * i) / count;
      return spec.type === 'int' ? Math.round(v) : Number(v.toPrecision(3));
    });
  }
  return [...new Set([...steps, ...around])].sort((a, b) => a - b);
}

function show(value: Override, type: ControlSpec['type']): string {
  if (typeof value === 'boolean') return String(value);
  if (type === 'float') return Number(value.toPrecision(4)).toString();
  return value >= 10_000 && value % 1024 === 0 ? `${value / 1024}K` : String(value);
}

export class Controls {
  private signature = '';
  private overrides: Record<string, Override> = {};
  private headCount = 16;

  constructor(
    private readonly root: HTMLElement,
    private readonly onChange: (overrides: Record<string, Override>) => void,
  ) {}

  get current(): Record<string, Override> {
    return { ...this.overrides };
  }

  setOverrides(overrides: Record<string, Override>): void {
    this.overrides = { ...overrides };
  }

  clear(): void {
    this.overrides = {};
    this.signature = '';
    this.onChange({});
  }

  /** Rebuilds the sliders when the set of controls changed; otherwise only updates values. */
  render(specs: ControlSpec[] | undefined): void {
    if (!specs) return;
    this.headCount = Number(specs.find((s) => s.name === 'H')?.value ?? 16);
    const signature = JSON.stringify(specs.map((s) => [s.name, s.type, s.sourceValue, s.name === 'Hkv' ? this.headCount : 0]));
    if (signature === this.signature) {
      for (const spec of specs) this.updateValue(spec);
      return;
    }
    this.signature = signature;
    this.root.replaceChildren();
    const groups: [string, ControlSpec[]][] = [
      ['sizes', specs.filter((s) => s.kind === 'size')],
      ['params', specs.filter((s) => s.kind === 'param')],
    ];
    for (const [title, group] of groups) {
      const heading = document.createElement('div');
      heading.className = 'control-group-title';
      heading.textContent = title;
      this.root.append(heading);
      if (group.length === 0) {
        const none = document.createElement('div');
        none.className = 'none';
        none.textContent = 'this pattern declares no params';
        this.root.append(none);
      }
      for (const spec of group) this.root.append(this.control(spec));
    }
  }

  private updateValue(spec: ControlSpec): void {
    const row = this.root.querySelector<HTMLElement>(`[data-control="${spec.name}"]`);
    if (!row) return;
    row.classList.toggle('overridden', spec.name in this.overrides);
    const output = row.querySelector('output');
    if (output) output.textContent = show(spec.value, spec.type);
  }

  private control(spec: ControlSpec): HTMLElement {
    const row = document.createElement('div');
    row.className = 'control';
    row.dataset.control = spec.name;
    row.classList.toggle('overridden', spec.name in this.overrides);
    const id = `control-${spec.name}`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = spec.name;
    label.title = spec.kind === 'size' ? `size ${spec.name} (source: ${spec.sourceValue})` : `param ${spec.name}: ${spec.type} (source: ${spec.sourceValue})`;
    const output = document.createElement('output');
    output.htmlFor.add(id);
    output.textContent = show(spec.value, spec.type);
    if (spec.type === 'bool') {
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.id = id;
      box.checked = spec.value === true;
      box.addEventListener('change', () => this.set(spec, box.checked));
      row.append(label, box, output);
      return row;
    }
    const steps = stepsFor(spec, Number(spec.value), this.headCount);
    const slider = document.createElement('input');
    slider.type = 'range';
    slider.id = id;
    slider.min = '0';
    slider.max = String(steps.length - 1);
    slider.step = '1';
    slider.value = String(Math.max(0, steps.indexOf(Number(spec.value))));
    slider.addEventListener('input', () => {
      const value = steps[Number(slider.value)]!;
      output.textContent = show(value, spec.type);
      this.set(spec, value);
    });
    row.append(label, slider, output);
    return row;
  }

  private set(spec: ControlSpec, value: Override): void {
    if (value === spec.sourceValue) delete this.overrides[spec.name];
    else this.overrides[spec.name] = value;
    // Hkv must divide H: drop an Hkv override that no longer does.
    if (spec.name === 'H' && typeof this.overrides.Hkv === 'number' && typeof value === 'number' && value % this.overrides.Hkv !== 0) {
      delete this.overrides.Hkv;
    }
    this.root.querySelector(`[data-control="${spec.name}"]`)?.classList.toggle('overridden', spec.name in this.overrides);
    this.onChange(this.current);
  }
}
