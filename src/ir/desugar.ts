// Built-ins as primitive IR operations, exactly the formulas of grammar/SPEC.md, so later
// stages see plain affine arithmetic with floor division and modulo by constants. The
// exceptions, random_blocks and topk_blocks, are IR nodes of their own.
import type { IrBuilder } from './builder.ts';

/** Lowered arguments by parameter name (defaults already filled in) plus constant values. */
export interface DesugarArgs {
  id: (name: string) => number;
  constant: (name: string) => number | boolean;
}

const LN2 = Math.LN2;

export function desugarBuiltin(b: IrBuilder, name: string, args: DesugarArgs): number {
  const q = () => b.variable('q');
  const k = () => b.variable('k');
  const h = () => b.variable('h');
  const op = b.op.bind(b);
  switch (name) {
    // numeric
    case 'min': return op('min', [args.id('a'), args.id('b')]);
    case 'max': return op('max', [args.id('a'), args.id('b')]);
    case 'abs': return op('abs', [args.id('a')]);
    case 'clamp': return op('min', [op('max', [args.id('x'), args.id('lo')]), args.id('hi')]);
    case 'floor': case 'ceil': case 'round': case 'tanh': case 'exp': case 'log': case 'sqrt':
      return op(name, [args.id('x')]);
    case 'softcap': {
      const c = args.id('c');
      return op('mul', [c, op('tanh', [op('div', [args.id('x'), c])])]);
    }
    case 'alibi_slope':
      // 2^(-8 (h + 1) / H) = exp(-8 ln 2 * (h + 1) / H)
      return op('exp', [op('mul', [b.float(-8 * LN2), op('div', [op('add', [args.id('h'), b.int(1)]), b.size('H')])])]);
    // masks
    case 'causal': return op('le', [k(), q()]);
    case 'causal_bottom_right': return op('le', [k(), op('add', [q(), op('sub', [b.size('Nk'), b.size('Nq')])])]);
    case 'window':
      return op('and', [op('le', [op('sub', [q(), args.id('left')]), k()]), op('le', [k(), op('add', [q(), args.id('right')])])]);
    case 'dilated': {
      const r = op('sub', [q(), k()]);
      return op('and', [
        op('and', [op('le', [op('neg', [args.id('right')]), r]), op('le', [r, args.id('left')])]),
        op('eq', [op('mod', [r, args.id('dilation')]), b.int(0)]),
      ]);
    }
    case 'sinks': return op('lt', [k(), args.id('n')]);
    case 'global_queries': return op('lt', [q(), args.id('n')]);
    case 'local_blocks': {
      const block = args.id('block');
      const d = op('sub', [op('floordiv', [q(), block]), op('floordiv', [k(), block])]);
      return op('and', [op('le', [b.int(0), d]), op('lt', [d, args.id('n')])]);
    }
    case 'vstride': {
      const kb = op('floordiv', [k(), args.id('block')]);
      return op('eq', [op('mod', [op('add', [op('add', [kb, args.id('offset')]), b.int(1)]), args.id('stride')]), b.int(0)]);
    }
    case 'shard': {
      const n = args.id('n');
      return op('eq', [op('mod', [op('floordiv', [k(), args.id('block')]), n]), op('mod', [h(), n])]);
    }
    case 'prefix_lm': return op('or', [op('le', [k(), q()]), op('lt', [k(), args.id('n')])]);
    case 'moa': {
      const span = op('floor', [op('add', [args.id('alpha'), op('mul', [args.id('beta'), b.size('Nk')])])]);
      return op('and', [op('le', [k(), q()]), op('lt', [op('sub', [q(), k()]), span])]);
    }
    case 'random_blocks':
      return b.add({
        kind: 'random_blocks',
        r: args.constant('r') as number,
        block: args.constant('block') as number,
        seed: args.id('seed'),
        causal: args.constant('causal') as boolean,
      });
    case 'topk_blocks':
      return b.add({
        kind: 'topk_blocks',
        k: args.constant('k') as number,
        block: args.constant('block') as number,
        causal: args.constant('causal') as boolean,
      });
    default:
      throw new Error(`no desugaring for built-in '${name}'`);
  }
}
