// Builds the hash-consed IR node list: identical nodes share one id, constant operations are
// folded, int operands of float operations get explicit `tofloat`, commutative arguments are
// ordered by id and `gt`/`ge` become `lt`/`le` with swapped arguments. Used by the lowering
// and by later stages that derive new expressions (e.g. static envelopes).
import type { IrNode, OpName, ScalarType, SizeName, VarName } from './schema.ts';

const COMMUTATIVE = new Set<OpName>(['add', 'mul', 'min', 'max', 'eq', 'ne', 'and', 'or']);
const COMPARISONS = new Set<OpName>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

/** Floor division / modulo with `x // 0 = 0`, `x % 0 = 0` (grammar/SPEC.md). */
export function irFloorDiv(a: number, b: number): number {
  return b === 0 ? 0 : Math.floor(a / b);
}
export function irFloorMod(a: number, b: number): number {
  if (b === 0) return 0;
  const r = a % b;
  return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
}

/** Ids a node refers to. */
export function nodeChildren(n: IrNode): number[] {
  switch (n.kind) {
    case 'op': case 'table': case 'input': return n.args;
    case 'member': return [n.value, ...n.args];
    case 'random_blocks': return [n.seed];
    default: return [];
  }
}

/**
 * Drop nodes unreachable from `roots` (folding leaves dead intermediate nodes behind) and
 * renumber the rest, keeping children before parents. Returns the new list and id map.
 */
export function compactNodes(nodes: readonly IrNode[], roots: number[]): { nodes: IrNode[]; remap: (id: number) => number } {
  const live = new Uint8Array(nodes.length);
  for (const r of roots) live[r] = 1;
  for (let i = nodes.length - 1; i >= 0; i--) if (live[i]) for (const c of nodeChildren(nodes[i]!)) live[c] = 1;
  const newId = new Int32Array(nodes.length).fill(-1);
  const out: IrNode[] = [];
  const map = (id: number) => newId[id]!;
  for (let i = 0; i < nodes.length; i++) {
    if (!live[i]) continue;
    const n = nodes[i]!;
    let m: IrNode;
    switch (n.kind) {
      case 'op': case 'table': case 'input': m = { ...n, args: n.args.map(map) }; break;
      case 'member': m = { ...n, value: map(n.value), args: n.args.map(map) }; break;
      case 'random_blocks': m = { ...n, seed: map(n.seed) }; break;
      default: m = n;
    }
    newId[i] = out.length;
    out.push(m);
  }
  return { nodes: out, remap: map };
}

export class IrBuilder {
  readonly nodes: IrNode[] = [];
  private index = new Map<string, number>();

  /** Continue building on top of an existing node list (ids are kept). */
  static from(nodes: readonly IrNode[]): IrBuilder {
    const b = new IrBuilder();
    for (const n of nodes) {
      b.index.set(JSON.stringify(n), b.nodes.length);
      b.nodes.push(n);
    }
    return b;
  }

  add(node: IrNode): number {
    const key = JSON.stringify(node);
    const existing = this.index.get(key);
    if (existing !== undefined) return existing;
    this.nodes.push(node);
    this.index.set(key, this.nodes.length - 1);
    return this.nodes.length - 1;
  }

  int(value: number): number { return this.add({ kind: 'int', value: Object.is(value, -0) ? 0 : value }); }
  float(value: number): number { return this.add({ kind: 'float', value: Object.is(value, -0) ? 0 : value }); }
  bool(value: boolean): number { return this.add({ kind: 'bool', value }); }
  variable(name: VarName): number { return this.add({ kind: 'var', name }); }
  size(name: SizeName): number { return this.add({ kind: 'size', name }); }

  typeOf(id: number): ScalarType {
    const n = this.nodes[id]!;
    switch (n.kind) {
      case 'int': case 'size': return 'int';
      case 'float': return 'float';
      case 'bool': case 'member': case 'random_blocks': case 'topk_blocks': return 'bool';
      case 'var': return n.name === 's' ? 'float' : 'int';
      case 'op': case 'table': case 'input': return n.type;
    }
  }

  private literal(id: number): number | boolean | undefined {
    const n = this.nodes[id]!;
    return n.kind === 'int' || n.kind === 'float' || n.kind === 'bool' ? n.value : undefined;
  }

  private constant(value: number | boolean, type: ScalarType): number {
    if (type === 'bool') return this.bool(Boolean(value));
    if (type === 'int') return this.int(value as number);
    return this.float(value as number);
  }

  toFloat(id: number): number {
    if (this.typeOf(id) === 'float') return id;
    const v = this.literal(id);
    if (typeof v === 'number') return this.float(v);
    return this.add({ kind: 'op', op: 'tofloat', args: [id], type: 'float' });
  }

  /** Build `op(args)`: typed, converted, folded and normalised. */
  op(op: OpName, args: number[]): number {
    const types = args.map((a) => this.typeOf(a));
    const anyFloat = types.includes('float');
    let type: ScalarType;
    switch (op) {
      case 'add': case 'sub': case 'mul': case 'min': case 'max': case 'floordiv': case 'mod':
        type = anyFloat ? 'float' : 'int';
        if (anyFloat) args = args.map((a) => this.toFloat(a));
        break;
      case 'div':
        type = 'float';
        args = args.map((a) => this.toFloat(a));
        break;
      case 'neg': case 'abs':
        type = types[0]!;
        break;
      case 'floor': case 'ceil': case 'round':
        if (types[0] === 'int') return args[0]!;
        type = 'int';
        break;
      case 'tofloat':
        return this.toFloat(args[0]!);
      case 'tanh': case 'exp': case 'log': case 'sqrt':
        type = 'float';
        args = args.map((a) => this.toFloat(a));
        break;
      case 'eq': case 'ne': case 'lt': case 'le': case 'gt': case 'ge':
        type = 'bool';
        if (anyFloat) args = args.map((a) => this.toFloat(a));
        break;
      case 'and': case 'or': case 'not':
        type = 'bool';
        break;
      case 'select': {
        const [c, a, b] = args as [number, number, number];
        const ta = this.typeOf(a), tb = this.typeOf(b);
        if (ta !== tb && ta !== 'bool' && tb !== 'bool') {
          args = [c, this.toFloat(a), this.toFloat(b)];
          type = 'float';
        } else type = ta;
        break;
      }
    }
    // gt/ge -> lt/le with swapped arguments: one direction for the analysis to handle.
    if (op === 'gt' || op === 'ge') {
      op = op === 'gt' ? 'lt' : 'le';
      args = [args[1]!, args[0]!];
    }
    const folded = this.fold(op, args, type);
    if (folded !== undefined) return folded;
    if (COMMUTATIVE.has(op)) args = [...args].sort((a, b) => a - b);
    return this.add({ kind: 'op', op, args, type });
  }

  /** `id` is `op(..., arg, ...)` (absorption: a and (a and b) = a and b). */
  private hasArg(id: number, op: OpName, arg: number): boolean {
    const n = this.nodes[id]!;
    return n.kind === 'op' && n.op === op && n.args.includes(arg);
  }

  /** Constant folding and a few identities; undefined when nothing applies. */
  private fold(op: OpName, args: number[], type: ScalarType): number | undefined {
    const lits = args.map((a) => this.literal(a));
    const [x, y, z] = lits;
    const [a, b, c] = args;
    const isInt = type === 'int';
    if (lits.every((v) => v !== undefined)) {
      const n = lits as Array<number | boolean>;
      const nx = n[0] as number, ny = n[1] as number;
      let v: number | boolean | undefined;
      switch (op) {
        case 'add': v = nx + ny; break;
        case 'sub': v = nx - ny; break;
        case 'mul': v = nx * ny; break;
        case 'div': v = ny === 0 ? undefined : nx / ny; break;
        case 'floordiv': v = irFloorDiv(nx, ny); break;
        case 'mod': v = irFloorMod(nx, ny); break;
        case 'min': v = Math.min(nx, ny); break;
        case 'max': v = Math.max(nx, ny); break;
        case 'neg': v = -nx; break;
        case 'abs': v = Math.abs(nx); break;
        case 'floor': v = Math.floor(nx); break;
        case 'ceil': v = Math.ceil(nx); break;
        case 'round': v = Math.sign(nx) * Math.round(Math.abs(nx)); break;
        case 'tanh': v = Math.tanh(nx); break;
        case 'exp': v = Math.exp(nx); break;
        case 'log': v = nx > 0 ? Math.log(nx) : undefined; break;
        case 'sqrt': v = nx >= 0 ? Math.sqrt(nx) : undefined; break;
        case 'eq': v = n[0] === n[1]; break;
        case 'ne': v = n[0] !== n[1]; break;
        case 'lt': v = nx < ny; break;
        case 'le': v = nx <= ny; break;
        case 'and': v = Boolean(n[0]) && Boolean(n[1]); break;
        case 'or': v = Boolean(n[0]) || Boolean(n[1]); break;
        case 'not': v = !n[0]; break;
        case 'select': v = n[0] ? n[1] : n[2]; break;
        default: v = undefined;
      }
      if (v !== undefined && (typeof v === 'boolean' || Number.isFinite(v))) {
        if (isInt && typeof v === 'number' && !Number.isSafeInteger(v)) return undefined;
        return this.constant(v, type);
      }
      return undefined;
    }
    switch (op) {
      case 'add':
        if (x === 0) return b;
        if (y === 0) return a;
        break;
      case 'sub':
        if (y === 0) return a;
        if (a === b && isInt) return this.int(0);
        break;
      case 'mul':
        if (x === 1) return b;
        if (y === 1) return a;
        if (isInt && (x === 0 || y === 0)) return this.int(0);
        break;
      case 'floordiv':
        if (isInt && y === 1) return a;
        break;
      case 'mod':
        if (isInt && (y === 1 || y === -1)) return this.int(0);
        break;
      case 'neg': {
        const inner = this.nodes[a!]!;
        if (inner.kind === 'op' && inner.op === 'neg') return inner.args[0];
        break;
      }
      case 'not': {
        const inner = this.nodes[a!]!;
        if (inner.kind === 'op' && inner.op === 'not') return inner.args[0];
        break;
      }
      case 'and':
        if (x === false || y === false) return this.bool(false);
        if (x === true) return b;
        if (y === true) return a;
        if (a === b) return a;
        if (this.hasArg(b!, 'and', a!)) return b;
        if (this.hasArg(a!, 'and', b!)) return a;
        break;
      case 'or':
        if (x === true || y === true) return this.bool(true);
        if (x === false) return b;
        if (y === false) return a;
        if (a === b) return a;
        if (this.hasArg(b!, 'or', a!)) return b;
        if (this.hasArg(a!, 'or', b!)) return a;
        break;
      case 'min': case 'max':
        if (a === b) return a;
        break;
      case 'select':
        if (x === true) return b;
        if (x === false) return c;
        if (b === c) return b;
        if (type === 'bool' && y === true && z === false) return a;
        break;
      default:
        break;
    }
    if (COMPARISONS.has(op) && a === b && type === 'bool' && this.typeOf(a!) === 'int') {
      return this.bool(op === 'eq' || op === 'le' || op === 'ge');
    }
    return undefined;
  }
}
