// The problems list under the editor: one line per diagnostic, worded exactly as the CLI prints
// it (formatDiagnostic); clicking a line moves the cursor there and unfolds the code frame.
import type { DiagnosticView } from './protocol.ts';

export class ProblemsList {
  constructor(
    private readonly list: HTMLElement,
    private readonly badge: HTMLElement,
    private readonly reveal: (offset: number) => void,
  ) {}

  render(diagnostics: DiagnosticView[]): void {
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
    this.badge.textContent = String(diagnostics.length);
    this.badge.classList.toggle('has-errors', errors > 0);
    this.badge.classList.toggle('has-warnings', errors === 0 && warnings > 0);
    this.badge.title = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
    this.list.replaceChildren();
    if (diagnostics.length === 0) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'No problems.';
      this.list.append(li);
      return;
    }
    for (const d of diagnostics) {
      const li = document.createElement('li');
      li.className = d.severity;
      li.dataset.code = d.code;
      const [head = '', ...frame] = d.formatted.split('\n');
      // The CLI's first line, `file:line:col: error E101[id]: message`, split for emphasis.
      const match = /^(.*?:\d+:\d+): (\w+) (\S+): (.*)$/.exec(head);
      if (match) {
        const where = document.createElement('span');
        where.className = 'where';
        where.textContent = `${match[1]}: `;
        const code = document.createElement('span');
        code.className = 'code';
        code.textContent = `${match[2]} ${match[3]}: `;
        li.append(where, code, document.createTextNode(match[4]!));
      } else {
        li.textContent = head;
      }
      if (frame.length > 0) {
        const pre = document.createElement('div');
        pre.className = 'frame';
        pre.textContent = frame.join('\n');
        li.append(pre);
      }
      li.title = 'Go to the problem (click again to fold the code frame)';
      li.addEventListener('click', () => {
        li.classList.toggle('open');
        this.reveal(d.from);
      });
      this.list.append(li);
    }
  }
}
