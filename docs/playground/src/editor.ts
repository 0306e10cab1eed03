// The source editor: CodeMirror 6 with .attn highlighting, diagnostics pushed from the worker
// as squiggles, completion of built-ins (with their one-line docs) and of the names the file
// declares, and formatting on Shift-Alt-F.
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap, type Completion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab, toggleComment } from '@codemirror/commands';
import { bracketMatching, indentOnInput, indentUnit } from '@codemirror/language';
import { lintGutter, lintKeymap, setDiagnostics, type Diagnostic as CmDiagnostic } from '@codemirror/lint';
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search';
import { EditorState } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from '@codemirror/view';
import grammar from 'virtual:attn-grammar';
import { attnHighlighting, attnLanguage } from './attnLanguage.ts';
import type { DiagnosticView } from './protocol.ts';

export interface EditorCallbacks {
  /** The text changed (by typing, formatting or loading an example). */
  changed(source: string): void;
  /** Shift-Alt-F or the Format button. */
  format(): void;
}

const docsByName = new Map(grammar.builtinDocs.map((d) => [d.name, d]));

function builtinCompletions(): Completion[] {
  const out: Completion[] = [];
  const add = (names: readonly string[], type: string, boost: number) => {
    for (const name of names) {
      const doc = docsByName.get(name);
      out.push({
        label: name,
        type,
        detail: doc?.signature.replace(/^[A-Za-z_][A-Za-z0-9_]*/, '') || undefined,
        info: doc?.doc,
        boost,
        // Functions with arguments get `(` typed after them.
        apply: doc && /\(/.test(doc.signature) && !/^\w+\(\)$/.test(doc.signature) ? `${name}(` : name,
      });
    }
  };
  add(grammar.builtinMasks, 'function', 3);
  add(grammar.builtinFunctions, 'function', 2);
  add(grammar.positionVariables, 'variable', 1);
  add(grammar.sizeNames, 'constant', 1);
  add(grammar.keywords, 'keyword', 0);
  add(grammar.requirements, 'keyword', -1);
  return out;
}
const BUILTINS = builtinCompletions();

/** Names the file declares (params, lets, tables, inputs, import namespaces). */
function declaredNames(text: string): Completion[] {
  const out: Completion[] = [];
  const seen = new Set<string>();
  const re = /^\s*(param|let|table|input)\s+([A-Za-z_][A-Za-z0-9_]*)|\bas\s+([A-Za-z_][A-Za-z0-9_]*)/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const name = m[2] ?? m[3];
    if (!name || seen.has(name)) continue;
    seen.add(name);
    out.push({ label: name, type: m[1] === 'let' ? 'variable' : m[1] ?? 'namespace', detail: m[1] ?? 'import', boost: 4 });
  }
  return out;
}

function attnCompletions(context: CompletionContext): CompletionResult | null {
  const word = context.matchBefore(/[A-Za-z_][A-Za-z0-9_]*/);
  const line = context.state.doc.lineAt(context.pos);
  const before = line.text.slice(0, context.pos - line.from);
  // Not inside comments and strings.
  if (/#/.test(before.replace(/"[^"]*"/g, '')) || (before.split('"').length - 1) % 2 === 1) return null;
  if (!word && !context.explicit) return null;
  // Not where a new name is being declared.
  if (/\b(param|let|table|input|as)\s+[A-Za-z_0-9]*$/.test(before)) return null;
  return {
    from: word ? word.from : context.pos,
    options: [...declaredNames(context.state.doc.toString()), ...BUILTINS],
    validFor: /^[A-Za-z_][A-Za-z0-9_]*$/,
  };
}

export class SourceEditor {
  readonly view: EditorView;

  constructor(parent: HTMLElement, initial: string, callbacks: EditorCallbacks) {
    const formatKey = { key: 'Shift-Alt-f', run: () => (callbacks.format(), true), preventDefault: true };
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc: initial,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          highlightActiveLine(),
          drawSelection(),
          history(),
          indentOnInput(),
          indentUnit.of('  '),
          bracketMatching(),
          closeBrackets(),
          highlightSelectionMatches(),
          attnLanguage,
          attnHighlighting,
          lintGutter(),
          autocompletion({ override: [attnCompletions], icons: false }),
          keymap.of([
            formatKey,
            { key: 'Mod-/', run: toggleComment },
            ...closeBracketsKeymap,
            ...defaultKeymap,
            ...historyKeymap,
            ...searchKeymap,
            ...completionKeymap,
            ...lintKeymap,
            indentWithTab,
          ]),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) callbacks.changed(update.state.doc.toString());
          }),
          EditorView.contentAttributes.of({ 'aria-label': '.attn source', spellcheck: 'false' }),
        ],
      }),
    });
  }

  get text(): string {
    return this.view.state.doc.toString();
  }

  /** Replaces the whole text (example picked, formatted); the cursor stays on its line. */
  setText(text: string): void {
    if (text === this.text) return;
    const head = this.view.state.selection.main.head;
    const line = this.view.state.doc.lineAt(head).number;
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text } });
    const target = this.view.state.doc.line(Math.min(line, this.view.state.doc.lines));
    this.view.dispatch({ selection: { anchor: target.from } });
  }

  /** Diagnostics of the current text as squiggles (offsets clipped to the document). */
  showDiagnostics(diagnostics: DiagnosticView[]): void {
    const length = this.view.state.doc.length;
    const marks: CmDiagnostic[] = diagnostics.map((d) => {
      const from = Math.min(Math.max(0, d.from), length);
      const to = Math.min(Math.max(from, d.to), length);
      return {
        from,
        to,
        severity: d.severity,
        source: d.code,
        message: d.message,
      };
    });
    this.view.dispatch(setDiagnostics(this.view.state, marks));
  }

  /** Moves the cursor to an offset and scrolls it into view. */
  reveal(offset: number): void {
    const at = Math.min(Math.max(0, offset), this.view.state.doc.length);
    this.view.dispatch({ selection: { anchor: at }, effects: EditorView.scrollIntoView(at, { y: 'center' }) });
    this.view.focus();
  }

  /** The text of a 1-based line (for rule explanations). */
  lineText(line: number): string | undefined {
    if (line < 1 || line > this.view.state.doc.lines) return undefined;
    return this.view.state.doc.line(line).text;
  }
}
