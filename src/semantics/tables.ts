// Static tables: shape from the declared dimensions, data from an inline nested list or a JSON
// file (read through the injected readFile). Shared by the tables rule (which reports the
// problems) and the lowering (which uses the data).
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.ts';
import type { Expr, StmtOf } from '../syntax/ast.ts';
import type { CheckContext } from './context.ts';
import type { Module } from './modules.ts';
import { resolvePath } from './paths.ts';
import { closestName } from './suggest.ts';

export interface TableData {
  shape: number[];
  data: number[];
}

export interface TableResult {
  value: TableData | null;
  problems: Diagnostic[];
}

const memo = new WeakMap<CheckContext, Map<StmtOf<'Table'>, TableResult>>();
const MAX_TABLE_ENTRIES = 1 << 24;

/** Shape of a table or input: each dimension a constant positive int (undefined entries: invalid). */
export function constantDims(ctx: CheckContext, dims: Expr[], m: Module, what: string, problems: Diagnostic[]): number[] | null {
  const out: number[] = [];
  let ok = true;
  for (const d of dims) {
    if (ctx.typeOf(d, m) === 'error') { ok = false; continue; }
    const v = ctx.constValue(d, m);
    if (!v) {
      problems.push(diagnostic('not-constant', `a ${what} dimension must be a compile-time constant`, d.span));
      ok = false;
    } else if (v.type !== 'int' || (v.value as number) <= 0) {
      problems.push(diagnostic('constant-out-of-range', `a ${what} dimension must be a positive int, found ${v.value}`, d.span));
      ok = false;
    } else out.push(v.value as number);
  }
  return ok ? out : null;
}

export function loadTable(ctx: CheckContext, decl: StmtOf<'Table'>, m: Module): TableResult {
  let perCtx = memo.get(ctx);
  if (!perCtx) memo.set(ctx, (perCtx = new Map()));
  const cached = perCtx.get(decl);
  if (cached) return cached;
  const problems: Diagnostic[] = [];
  const result: TableResult = { value: null, problems };
  perCtx.set(decl, result);

  const shape = constantDims(ctx, decl.dims, m, 'table', problems);
  if (!shape) return result;
  const total = shape.reduce((a, b) => a * b, 1);
  if (total > MAX_TABLE_ENTRIES) {
    problems.push(diagnostic('table-shape-mismatch', `table '${decl.name.name}' would have ${total} entries, more than ${MAX_TABLE_ENTRIES}`, decl.span));
    return result;
  }
  const type = decl.elemType.name;
  const data: number[] = [];
  const init = decl.init;

  if (init.kind === 'Inline') {
    // Walk the nested list against the shape.
    const walk = (e: Expr, depth: number): boolean => {
      if (depth < shape.length) {
        if (e.kind !== 'List') {
          problems.push(diagnostic('table-shape-mismatch', `table '${decl.name.name}': expected a list of ${shape[depth]} at depth ${depth + 1}, found a single value`, e.span, {
            notes: [{ message: `declared shape [${shape.join(', ')}]`, span: decl.span }],
          }));
          return false;
        }
        if (e.items.length !== shape[depth]) {
          problems.push(diagnostic('table-shape-mismatch', `table '${decl.name.name}': expected ${shape[depth]} entries at depth ${depth + 1}, found ${e.items.length}`, e.span, {
            notes: [{ message: `declared shape [${shape.join(', ')}]`, span: decl.span }],
          }));
          return false;
        }
        return e.items.every((item) => walk(item, depth + 1));
      }
      if (e.kind === 'List') {
        problems.push(diagnostic('table-shape-mismatch', `table '${decl.name.name}': too many nesting levels for shape [${shape.join(', ')}]`, e.span));
        return false;
      }
      const v = ctx.constValue(e, m);
      const okType = v && (v.type === type || (type === 'float' && v.type === 'int'));
      if (!okType) {
        problems.push(diagnostic('table-value-type', v ? `table '${decl.name.name}' holds ${type} values, found ${v.type}` : `table entries must be compile-time constants`, e.span));
        return false;
      }
      data.push(typeof v!.value === 'boolean' ? (v!.value ? 1 : 0) : v!.value);
      return true;
    };
    if (walk(init.list, 0)) result.value = { shape, data };
    return result;
  }

  // JSON file.
  const path = resolvePath(m.file, init.path.value);
  let text: string;
  try {
    if (!ctx.options.readFile) throw new Error('no file access in this environment');
    text = ctx.options.readFile(path);
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    problems.push(diagnostic('table-file-not-found', `cannot read table file '${init.path.value}'`, init.path.span, {
      notes: [{ message: `looked for '${path}': ${reason}` }],
    }));
    return result;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    problems.push(diagnostic('table-invalid-json', `'${init.path.value}' is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, init.path.span));
    return result;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !Object.hasOwn(json, init.key.value)) {
    const keys = typeof json === 'object' && json !== null && !Array.isArray(json) ? Object.keys(json) : [];
    const guess = closestName(init.key.value, keys);
    problems.push(diagnostic('table-key-missing', `'${init.path.value}' has no key "${init.key.value}"`, init.key.span, {
      notes: keys.length > 0 ? [{ message: `keys: ${keys.slice(0, 10).map((k) => `"${k}"`).join(', ')}${keys.length > 10 ? ', ...' : ''}` }] : [],
      suggestion: guess ? { message: `did you mean "${guess}"?`, replacement: `"${guess}"` } : undefined,
    }));
    return result;
  }
  const value = (json as Record<string, unknown>)[init.key.value];
  const walkJson = (v: unknown, depth: number, where: string): boolean => {
    if (depth < shape.length) {
      if (!Array.isArray(v) || v.length !== shape[depth]) {
        problems.push(diagnostic('table-shape-mismatch', `"${init.key.value}"${where} in '${init.path.value}' should be a list of ${shape[depth]}, found ${Array.isArray(v) ? `a list of ${v.length}` : typeof v}`, init.key.span, {
          notes: [{ message: `table '${decl.name.name}' is declared with shape [${shape.join(', ')}]`, span: decl.span }],
        }));
        return false;
      }
      return v.every((x, i) => walkJson(x, depth + 1, `${where}[${i}]`));
    }
    const ok = type === 'bool' ? typeof v === 'boolean' : typeof v === 'number' && Number.isFinite(v) && (type === 'float' || Number.isInteger(v));
    if (!ok) {
      problems.push(diagnostic('table-value-type', `"${init.key.value}"${where} in '${init.path.value}' should be ${type === 'int' ? 'an int' : type === 'float' ? 'a number' : 'a boolean'}, found ${JSON.stringify(v)?.slice(0, 40)}`, init.key.span));
      return false;
    }
    data.push(typeof v === 'boolean' ? (v ? 1 : 0) : (v as number));
    return true;
  };
  if (walkJson(value, 0, '')) result.value = { shape, data };
  return result;
}
