// Runtime inputs: dimensions must be sizes, params or positive constants; the only device
// initialiser is lsh(Q|K, buckets = n, seed = s) with its shape rule. Shared by the inputs
// rule and the lowering.
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.ts';
import type { StmtOf } from '../syntax/ast.ts';
import type { Dim, InputSource } from '../ir/schema.ts';
import type { CheckContext } from './context.ts';
import type { Module } from './modules.ts';
import { isSizeName } from './scope.ts';

export interface InputResult {
  value: { shape: Dim[]; source: InputSource } | null;
  problems: Diagnostic[];
}

export function resolveInput(ctx: CheckContext, decl: StmtOf<'Input'>, m: Module): InputResult {
  const problems: Diagnostic[] = [];
  const shape: Dim[] = [];
  let ok = true;
  for (const d of decl.dims) {
    if (d.kind === 'Name' && d.ns === null && isSizeName(d.name)) {
      shape.push(d.name);
      continue;
    }
    if (ctx.typeOf(d, m) === 'error') { ok = false; continue; }
    const v = ctx.constValue(d, m);
    if (!v || v.type !== 'int' || (v.value as number) <= 0) {
      problems.push(diagnostic('invalid-input-dimension', 'an input dimension must be a size (Nq, Nk, H, Hkv, L), a param or a positive int constant', d.span, {
        notes: v ? [{ message: `this evaluates to ${v.value}` }] : [],
      }));
      ok = false;
      continue;
    }
    shape.push(v.value as number);
  }

  let source: InputSource = { kind: 'given' };
  const init = decl.init;
  if (init) {
    if (init.callee.ns !== null || init.callee.name !== 'lsh') {
      problems.push(diagnostic('invalid-input-initialiser', `unknown input initialiser '${init.callee.name}'`, init.callee.span, {
        suggestion: { message: 'the device initialiser is lsh(Q, buckets = 64, seed = 1)' },
      }));
      return { value: null, problems };
    }
    let of: 'Q' | 'K' | null = null;
    let buckets: number | null = null;
    let seed = 0;
    let initOk = true;
    for (const [i, arg] of init.args.entries()) {
      if (arg.name === null && i === 0) {
        if (arg.value.kind === 'Name' && arg.value.ns === null && (arg.value.name === 'Q' || arg.value.name === 'K')) of = arg.value.name;
        else {
          problems.push(diagnostic('invalid-input-initialiser', 'the first argument of lsh must be Q or K', arg.span));
          initOk = false;
        }
        continue;
      }
      const name = arg.name?.name;
      if (name !== 'buckets' && name !== 'seed') {
        problems.push(diagnostic('invalid-input-initialiser', arg.name ? `lsh has no argument '${arg.name.name}' (it takes Q|K, buckets = n, seed = s)` : 'lsh takes Q|K, then buckets = n and seed = s by name', arg.span));
        initOk = false;
        continue;
      }
      const v = ctx.typeOf(arg.value, m) === 'error' ? undefined : ctx.constValue(arg.value, m);
      if (!v || v.type !== 'int') {
        problems.push(diagnostic('argument-not-constant', `'${name}' of lsh must be a constant int`, arg.value.span));
        initOk = false;
        continue;
      }
      const n = v.value as number;
      if (name === 'buckets') {
        if (n <= 0 || n % 2 !== 0) {
          problems.push(diagnostic('argument-out-of-range', `'buckets' of lsh must be a positive even number, found ${n}`, arg.value.span));
          initOk = false;
        } else buckets = n;
      } else seed = n;
    }
    if (initOk && of === null) {
      problems.push(diagnostic('invalid-input-initialiser', 'lsh needs Q or K as its first argument', init.span));
      initOk = false;
    }
    if (initOk && buckets === null) {
      problems.push(diagnostic('invalid-input-initialiser', 'lsh needs buckets = n', init.span));
      initOk = false;
    }
    if (!initOk) return { value: null, problems };
    const sizes = ctx.sizes();
    const want: [string, string] = of === 'Q' ? ['H', 'Nq'] : ['Hkv', 'Nk'];
    const value = (d: Dim) => (typeof d === 'number' ? d : sizes[d]);
    // A size name must be the very size; a constant must equal it.
    const dimOk = (d: Dim, w: string) => (typeof d === 'string' ? d === w : value(d) === sizes[w as 'H']);
    const shapeOk = ok && decl.elemType.name === 'int' && shape.length === 2 && dimOk(shape[0]!, want[0]) && dimOk(shape[1]!, want[1]);
    if (!shapeOk) {
      problems.push(diagnostic('lsh-shape-mismatch', `an lsh input of ${of} must be declared int[${want.join(', ')}]`, decl.span, {
        notes: [{ message: `lsh(${of}) gives one bucket per (${of === 'Q' ? 'query head, query position' : 'key/value head, key position'})` }],
      }));
      return { value: null, problems };
    }
    source = { kind: 'lsh', of: of!, buckets: buckets!, seed };
  }
  return { value: ok ? { shape, source } : null, problems };
}
