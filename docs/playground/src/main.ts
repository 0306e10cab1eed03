// The playground page: wires the editor, the compiler worker and the panels together. No
// compiler logic here: the worker compiles, evaluates and analyses; this file routes messages,
// keeps the URL in step with the source, and draws.
import { CompilerClient } from './compilerClient.ts';
import { Controls } from './controls.ts';
import { SourceEditor } from './editor.ts';
import { DEFAULT_EXAMPLE, EXAMPLES } from './examples.ts';
import { MaskView } from './maskView.ts';
import { OutputTabs } from './outputs.ts';
import { ProblemsList } from './problems.ts';
import type { DiagnosticView, Explanation, ExplainedPart, FromWorker, Override, PatternSummary } from './protocol.ts';
import { Runner } from './run.ts';
import { renderStats } from './stats.ts';
import { TILE_COLOURS, TileView } from './tileView.ts';
import { readUrlState, writeUrlState } from './urlState.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from index.html`);
  return el as T;
};

const TILE = { m: 64, n: 64 };
const COMPILE_DELAY_MS = 120;

async function start(): Promise<void> {
  const urlState = await readUrlState(location.hash);
  const fromUrl = urlState.example ? EXAMPLES.find((e) => e.name === urlState.example) : undefined;
  let example = fromUrl ?? DEFAULT_EXAMPLE;
  const initial = urlState.source ?? example?.source ?? 'mask = causal\n';

  const client = new CompilerClient();
  let generation = 0;
  let compiledGeneration = -1;
  let summary: PatternSummary | undefined;
  let layer = 0;
  let head = 0;
  const t0 = performance.now();
  let firstRender = true;
  let firstCompileMillis = -1;

  const status = $('status');
  const setStatus = (text: string, busy = false) => {
    status.textContent = text;
    status.classList.toggle('busy', busy);
  };

  // --- panels -------------------------------------------------------------------------------
  for (const swatch of Array.from(document.querySelectorAll<HTMLElement>('[data-tile-code]'))) {
    swatch.style.background = TILE_COLOURS[Number(swatch.dataset.tileCode)] ?? '';
  }
  const problems = new ProblemsList($('problems'), $('problem-count'), (offset) => editor.reveal(offset));
  const outputs = new OutputTabs($('output-tabs'), $('output-body'));
  const runner = new Runner(() => ({ generation: compiledGeneration, summary, layer }), (m) => client.send(m));
  outputs.setRunPanel(runner.panel);
  const controls = new Controls($('controls'), () => {
    scheduleCompile(0);
    scheduleUrlUpdate();
  });
  controls.setOverrides(urlState.overrides);

  const maskTooltip = $('mask-tooltip');
  const maskPlaceholder = $('mask-placeholder');
  const tilePlaceholder = $('tile-placeholder');
  const tileTooltip = $('tile-tooltip');
  const maskView = new MaskView($<HTMLCanvasElement>('mask-canvas'), {
    requestRaster: (request) => {
      if (compiledGeneration < 0 || !summary) return;
      client.send({ kind: 'raster', generation: compiledGeneration, l: layer, h: head, request });
    },
    hover: (cell) => {
      if (!cell || !summary) {
        maskTooltip.hidden = true;
        return;
      }
      hoverAt = cell;
      client.send({ kind: 'explain', generation: compiledGeneration, l: layer, h: head, q: cell.q, k: cell.k });
    },
    viewChanged: (win) => {
      tileView.setViewWindow(win);
      $('mask-caption').textContent = summary ? `q ${win.q0}–${win.q1 - 1}, k ${win.k0}–${win.k1 - 1}` : '';
    },
  });
  let hoverAt: { q: number; k: number; x: number; y: number } | undefined;
  const tileView = new TileView(
    $<HTMLCanvasElement>('tile-canvas'),
    (tile) => {
      if (!tile) {
        tileTooltip.hidden = true;
        return;
      }
      tileTooltip.hidden = false;
      tileTooltip.innerHTML = '';
      const q0 = tile.qt * TILE.m;
      const k0 = tile.kt * TILE.n;
      tileTooltip.append(
        line(`tile (${tile.qt}, ${tile.kt}) `, strong(tile.cls)),
        line(dim(`q ${q0}–${q0 + TILE.m - 1}, k ${k0}–${k0 + TILE.n - 1}`)),
        line(dim('click to zoom the mask there')),
      );
      placeTooltip(tileTooltip, tile.x, tile.y, $('tile-wrap'));
    },
    (qt, kt) => maskView.focusTile(qt, kt, TILE.m, TILE.n),
  );

  const layerSelect = $<HTMLSelectElement>('layer-select');
  const headSelect = $<HTMLSelectElement>('head-select');
  layerSelect.addEventListener('change', () => {
    layer = Number(layerSelect.value);
    refreshViews();
  });
  headSelect.addEventListener('change', () => {
    head = Number(headSelect.value);
    refreshViews();
  });
  $('zoom-in').addEventListener('click', () => maskView.zoomBy(2));
  $('zoom-out').addEventListener('click', () => maskView.zoomBy(0.5));
  $('zoom-reset').addEventListener('click', () => maskView.fit());

  // --- editor -------------------------------------------------------------------------------
  let compileTimer: number | undefined;
  let formatRequest = 0;
  const editor = new SourceEditor($('editor'), initial, {
    changed: () => {
      scheduleCompile(COMPILE_DELAY_MS);
      scheduleUrlUpdate();
      if (example && editor.text !== example.source) exampleSelect.value = '';
    },
    format: () => requestFormat(),
  });
  $('format').addEventListener('click', () => requestFormat());

  function requestFormat(): void {
    formatRequest += 1;
    client.send({ kind: 'format', source: editor.text, requestId: formatRequest });
  }

  // --- examples and URL -----------------------------------------------------------------------
  const exampleSelect = $<HTMLSelectElement>('example');
  exampleSelect.append(new Option('— your pattern —', ''));
  for (const e of EXAMPLES) {
    const option = new Option(e.name, e.name);
    option.title = e.summary;
    exampleSelect.append(option);
  }
  exampleSelect.value = example && editor.text === example.source ? example.name : '';
  exampleSelect.addEventListener('change', () => {
    const picked = EXAMPLES.find((e) => e.name === exampleSelect.value);
    if (!picked) return;
    example = picked;
    controls.clear();
    editor.setText(picked.source);
    $('file-name').textContent = `${picked.name}.attn`;
    scheduleCompile(0);
    scheduleUrlUpdate();
  });
  $('file-name').textContent = example ? `${example.name}.attn` : 'pattern.attn';

  let urlTimer: number | undefined;
  function scheduleUrlUpdate(): void {
    if (urlTimer !== undefined) clearTimeout(urlTimer);
    urlTimer = window.setTimeout(async () => {
      const unchanged = example !== undefined && editor.text === example.source;
      const hash = await writeUrlState({
        example: example?.name,
        source: unchanged ? undefined : editor.text,
        overrides: controls.current,
      });
      history.replaceState(null, '', `${location.pathname}${location.search}${hash ? `#${hash}` : ''}`);
    }, 300);
  }
  $('share').addEventListener('click', async () => {
    if (urlTimer !== undefined) clearTimeout(urlTimer);
    const hash = await writeUrlState({ example: example?.name, source: editor.text, overrides: controls.current });
    history.replaceState(null, '', `${location.pathname}${location.search}#${hash}`);
    const ok = await navigator.clipboard?.writeText(location.href).then(() => true, () => false);
    setStatus(ok ? 'Link copied' : 'Link in the address bar');
  });
  $('reset-overrides').addEventListener('click', () => {
    controls.clear();
    scheduleUrlUpdate();
  });

  // --- compiling ------------------------------------------------------------------------------
  function scheduleCompile(delay: number): void {
    if (compileTimer !== undefined) clearTimeout(compileTimer);
    compileTimer = window.setTimeout(() => {
      generation += 1;
      setStatus('Compiling…', true);
      client.send({
        kind: 'compile',
        generation,
        source: editor.text,
        fileName: example && exampleSelect.value === example.name ? example.path : example?.path ?? 'patterns/pattern.attn',
        overrides: controls.current,
        tile: TILE,
      });
    }, delay);
  }

  function refreshViews(): void {
    if (!summary || compiledGeneration < 0) return;
    maskView.invalidate();
    client.send({ kind: 'tiles', generation: compiledGeneration, l: layer, h: head });
    runner.refresh();
  }

  function fillSelect(select: HTMLSelectElement, count: number, current: number, label: (i: number) => string): number {
    const value = Math.min(current, count - 1);
    if (select.options.length !== count) {
      select.replaceChildren(...Array.from({ length: count }, (_, i) => new Option(label(i), String(i))));
    }
    select.value = String(value);
    select.disabled = count <= 1;
    return value;
  }

  let shownDiagnostics = '';
  function showDiagnostics(diagnostics: DiagnosticView[]): void {
    const key = JSON.stringify(diagnostics);
    if (key === shownDiagnostics) return;
    shownDiagnostics = key;
    problems.render(diagnostics);
    editor.showDiagnostics(diagnostics);
  }

  client.onMessage((message: FromWorker) => {
    switch (message.kind) {
      case 'diagnostics':
        if (message.generation !== generation) return;
        showDiagnostics(message.diagnostics);
        return;
      case 'compiled': {
        if (message.generation !== generation) return; // a newer compile is on its way
        showDiagnostics(message.diagnostics);
        const errors = message.diagnostics.filter((d) => d.severity === 'error').length;
        if (!message.summary) {
          setStatus(`${errors} error${errors === 1 ? '' : 's'} · views show the last good version`);
          document.body.classList.toggle('stale', summary !== undefined);
          if (!summary) {
            maskPlaceholder.hidden = false;
            maskPlaceholder.textContent = 'Fix the errors in the source to see the mask.';
          }
          return;
        }
        compiledGeneration = message.generation;
        summary = message.summary;
        if (firstCompileMillis < 0) firstCompileMillis = message.millis;
        document.body.classList.remove('stale');
        maskPlaceholder.hidden = true;
        controls.render(summary.controls);
        const { Nq, Nk, H, Hkv, L } = summary.sizes;
        layer = fillSelect(layerSelect, L, layer, (i) => String(i));
        head = fillSelect(headSelect, H, head, (i) => (Hkv !== H ? `${i} (kv ${Math.floor(i / (H / Hkv))})` : String(i)));
        maskView.setShape(Nq, Nk, TILE.m, TILE.n);
        renderStats($('stats'), message.analysis);
        $('tile-caption').textContent = `${TILE.m}×${TILE.n} tiles`;
        setStatus(`${summary.name} · ${Nq.toLocaleString('en-US')}×${Nk.toLocaleString('en-US')}, ${H} heads${L > 1 ? `, ${L} layers` : ''} · compiled in ${message.millis.toFixed(0)} ms${errors ? ` · ${errors} error${errors === 1 ? '' : 's'}` : ''}`);
        refreshViews();
        return;
      }
      case 'raster': {
        if (message.generation !== compiledGeneration) return;
        if (message.raster) {
          if (message.raster.l !== layer || message.raster.h !== head) return;
          maskView.setRaster(message.raster);
          document.body.dataset.maskGeneration = String(message.generation);
          if (firstRender) {
            // Milliseconds from navigation start to the first mask on screen (docs/playground.md).
            firstRender = false;
            document.body.dataset.firstRenderMs = performance.now().toFixed(0);
            document.body.dataset.scriptStartMs = t0.toFixed(0);
            document.body.dataset.firstCompileMs = firstCompileMillis.toFixed(0);
            performance.mark('attnc:first-render');
          }
        } else {
          maskPlaceholder.hidden = false;
          maskPlaceholder.textContent = message.unavailable ?? 'The mask could not be evaluated.';
        }
        return;
      }
      case 'tiles': {
        if (message.generation !== compiledGeneration) return;
        if (message.tiles && (message.tiles.l !== layer || message.tiles.h !== head)) return;
        tileView.setTiles(message.tiles);
        tilePlaceholder.hidden = message.tiles !== undefined;
        tilePlaceholder.textContent = message.unavailable ?? '';
        if (message.tiles) document.body.dataset.tileGeneration = String(message.generation);
        return;
      }
      case 'explain': {
        if (message.generation !== compiledGeneration || !hoverAt) return;
        const ex = message.explanation;
        if (!ex || ex.q !== hoverAt.q || ex.k !== hoverAt.k) return;
        renderExplanation(maskTooltip, ex, editor);
        placeTooltip(maskTooltip, hoverAt.x, hoverAt.y, $('mask-wrap'));
        return;
      }
      case 'output':
        if (message.generation !== compiledGeneration) return;
        outputs.setOutput(message.output);
        if (message.output.target === 'wgsl') runner.setWgsl(message.output);
        return;
      case 'formatted':
        if (message.requestId !== formatRequest) return;
        if (message.text !== undefined) {
          editor.setText(message.text);
          setStatus('Formatted');
        } else {
          setStatus(message.error ?? 'Cannot format a file with syntax errors');
        }
        return;
      case 'run':
        runner.handle(message);
        return;
      case 'fatal':
        setStatus(`Compiler worker: ${message.message}`);
        return;
    }
  });

  scheduleCompile(0);
}

// --- tooltips ---------------------------------------------------------------------------------
function line(...parts: (string | Node)[]): HTMLElement {
  const div = document.createElement('div');
  div.append(...parts);
  return div;
}
function strong(text: string): HTMLElement {
  const b = document.createElement('b');
  b.textContent = text;
  return b;
}
function dim(text: string): HTMLElement {
  const span = document.createElement('span');
  span.className = 'dim';
  span.textContent = text;
  return span;
}
function code(text: string): HTMLElement {
  const c = document.createElement('code');
  c.textContent = text;
  return c;
}

function renderExplanation(tooltip: HTMLElement, ex: Explanation, editor: SourceEditor): void {
  tooltip.replaceChildren();
  const verdict = document.createElement('span');
  verdict.className = ex.allowed ? 'yes' : 'no';
  verdict.textContent = ex.allowed ? 'allowed' : 'masked';
  tooltip.append(
    line(verdict, document.createTextNode(`  q = ${ex.q}, k = ${ex.k}`), dim(`  head ${ex.h}, layer ${ex.l}`)),
    line(dim(`tile (${ex.tile.qt}, ${ex.tile.kt}): ${ex.tile.cls}`)),
  );
  const ruleLine = ex.rule.line !== undefined ? editor.lineText(ex.rule.line)?.trim() : undefined;
  tooltip.append(line(dim('rule: '), code(ruleLine ?? ex.rule.selector), ex.rule.line !== undefined ? dim(`  line ${ex.rule.line}`) : ''));
  const root = ex.root;
  const list = document.createElement('div');
  const addPart = (part: ExplainedPart, depth: number) => {
    const row = line(mark(part.value), code(part.text));
    row.style.paddingLeft = `${depth * 14}px`;
    list.append(row);
  };
  if (root.children && root.kind) {
    const reason = root.kind === 'or'
      ? (ex.allowed ? 'holds because of:' : 'no disjunct holds:')
      : (ex.allowed ? 'every conjunct holds:' : 'fails because of:');
    list.append(line(dim(reason)));
    for (const part of root.children) {
      if (part.children && part.kind) {
        list.append(line(mark(part.value), dim(part.kind === 'or' ? 'any of:' : 'all of:')));
        for (const child of part.children) addPart(child, 1);
      } else {
        addPart(part, 0);
      }
    }
  } else {
    list.append(line(mark(root.value), code(root.text)));
  }
  tooltip.append(list);
  tooltip.hidden = false;
}

function mark(value: boolean): HTMLElement {
  const span = document.createElement('span');
  span.className = value ? 'yes' : 'no';
  span.textContent = value ? '✓ ' : '✗ ';
  return span;
}

function placeTooltip(tooltip: HTMLElement, x: number, y: number, container: HTMLElement): void {
  const box = container.getBoundingClientRect();
  const tip = tooltip.getBoundingClientRect();
  let left = x + 14;
  let top = y + 14;
  if (left + tip.width > box.width - 4) left = Math.max(4, x - tip.width - 14);
  if (top + tip.height > box.height - 4) top = Math.max(4, y - tip.height - 14);
  tooltip.style.left = `${left}px`;
  tooltip.style.top = `${top}px`;
}

void start();
