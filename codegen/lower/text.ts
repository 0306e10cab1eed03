// Text helpers shared by every emitter (CUDA, WGSL, Flex): a tagged template that strips the
// common indentation of its literal, re-indents multi-line interpolations, and name/comment
// sanitising so that no user text reaches generated code except through these functions.

/**
 * Tagged template for generated code. The template's leading newline and common indentation
 * are removed; an interpolated multi-line string is indented to the column where it appears.
 * Interpolated arrays are joined by newlines.
 */
export function code(strings: TemplateStringsArray, ...values: unknown[]): string {
  let raw = '';
  for (let i = 0; i < strings.length; i++) {
    raw += strings[i];
    if (i < values.length) raw += `\u0000${i}\u0000`;
  }
  let lines = raw.split('\n');
  if (lines.length > 0 && lines[0].trim() === '') lines = lines.slice(1);
  if (lines.length > 0 && lines[lines.length - 1].trim() === '') lines = lines.slice(0, -1);
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length);
  const common = indents.length ? Math.min(...indents) : 0;
  const out: string[] = [];
  for (const line of lines) {
    const stripped = line.slice(Math.min(common, /^ */.exec(line)![0].length));
    const indent = /^ */.exec(stripped)![0];
    const expanded = stripped.replace(/\u0000(\d+)\u0000/g, (_m, idx: string) => {
      const v = values[Number(idx)];
      const s = Array.isArray(v) ? v.join('\n') : String(v ?? '');
      return s.split('\n').join('\n' + indent);
    });
    // A placeholder that expanded to nothing on its own line leaves no blank line behind.
    if (expanded.trim() === '' && stripped.trim() !== '') continue;
    out.push(expanded.replace(/[ \t]+$/gm, ''));
  }
  return out.join('\n') + '\n';
}

/** Indent every non-empty line of `text` by `n` spaces. */
export function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text.split('\n').map((l) => (l.trim() === '' ? l : pad + l)).join('\n');
}

/**
 * A user-chosen name made safe as part of a generated identifier: only [A-Za-z0-9_], never
 * empty, never starting with a digit. Identifiers are always `prefix + index + '_' + this`,
 * so two user names can never collide after sanitising.
 */
export function mangle(userName: string): string {
  const s = userName.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40);
  return s === '' ? 'x' : s;
}

/**
 * User text quoted inside a generated comment: one line, no comment terminators in any of our
 * target languages (C++ / WGSL block comments, Python strings), printable ASCII only.
 */
export function commentText(userText: string, maxLength = 100): string {
  let s = userText.replace(/[\r\n\t]+/g, ' ').replace(/[^\x20-\x7e]/g, '?');
  s = s.replace(/\*\//g, '* /').replace(/\/\*/g, '/ *').replace(/\\/g, '/');
  s = s.replace(/"""/g, '"-"').replace(/'''/g, "'-'");
  if (s.length > maxLength) s = s.slice(0, maxLength - 3) + '...';
  return s;
}
