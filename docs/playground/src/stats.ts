// The statistics panel: density, FLOPs, tile counts and the coverage / reachability verdicts,
// as the worker computed them from the analysis.
import type { AnalysisView } from './protocol.ts';
import { TILE_COLOURS } from './tileView.ts';

export function renderStats(root: HTMLElement, analysis: AnalysisView | { unavailable: string } | undefined): void {
  root.replaceChildren();
  if (!analysis) return;
  if ('unavailable' in analysis) {
    const note = document.createElement('p');
    note.className = 'note';
    note.textContent = analysis.unavailable;
    root.append(note);
    return;
  }
  const dl = document.createElement('dl');
  const add = (label: string, value: string | Node, title?: string) => {
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.append(value);
    if (title) dd.title = title;
    dl.append(dt, dd);
  };
  for (const row of analysis.rows) add(row.label, row.value, row.title ?? row.value);

  const { empty, full, partial } = analysis.tiles;
  const total = empty + full + partial;
  if (total > 0) {
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.title = `tiles: ${empty} empty, ${full} full, ${partial} partial`;
    [empty, full, partial].forEach((n, i) => {
      const seg = document.createElement('i');
      seg.style.width = `${(100 * n) / total}%`;
      seg.style.background = TILE_COLOURS[i]!;
      bar.append(seg);
    });
    dl.append(bar);
  }

  if (analysis.verdicts.length > 0) {
    const section = document.createElement('div');
    section.className = 'section';
    section.textContent = 'checks';
    dl.append(section);
    for (const verdict of analysis.verdicts) {
      const badge = document.createElement('span');
      badge.className = `verdict ${verdict.status}`;
      badge.textContent = verdict.status === 'pass' ? 'holds' : verdict.status === 'fail' ? 'fails' : 'unknown';
      add(verdict.name, badge, verdict.detail);
      if (verdict.detail) {
        const note = document.createElement('div');
        note.className = 'note';
        note.textContent = verdict.detail;
        dl.append(note);
      }
    }
  }
  for (const text of analysis.notes) {
    const note = document.createElement('div');
    note.className = 'note';
    note.textContent = text;
    dl.append(note);
  }
  root.append(dl);
}
