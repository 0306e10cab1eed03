// Row permutation of runtime patterns (issues #4, #5; SCFA, Pagliardini et al. 2023): when a
// mask's rows and columns are selected by small-valued runtime inputs (LSH buckets, keep
// flags), sort the query rows per (b, h) and the key rows per (b, key head) by (key, position),
// so that each bucket's rows, and the kept rows, are contiguous; the kernel then runs on the
// gathered rows and its tile classifier finds whole tiles empty. The rewrite is one IR -> IR
// step, so every backend (and the backward hooks) gets it from here: q and k become the
// original positions pos_q[h, q] / pos_k[hk, k], and the sort inputs become permuted copies.
import { IrBuilder } from '../../src/ir/builder.ts';
import type { InputDecl, IrNode, IrProgram, Sizes } from '../../src/ir/schema.ts';

/** Prefix of the inputs the rewrite adds (not a valid user identifier, so no clash). */
export const PERMUTED_PREFIX = 'perm:';

export interface RowSort {
  side: 'q' | 'k';
  /** The input whose values order the rows (declared name), shape [rows, n] per batch entry. */
  keyInput: string;
  /** bucket: ascending value, clamped to [0, buckets); keep: nonzero (kept) rows first. */
  keyKind: 'bucket' | 'keep';
  /** Distinct sort keys (lsh buckets, or 2 for keep flags). */
  buckets: number;
  /** Head dimension of the sort rows: H (per query head) or Hkv (per key/value head). */
  rowsDim: 'H' | 'Hkv';
  rows: number;
  n: number;
  /** Input of the permuted program holding the original position of each sorted row. */
  positions: string;
  /** Inputs indexed [row, q|k] that the kernel reads in sorted order: source -> permuted copy. */
  gathered: { from: string; to: string }[];
}

export interface RowPermutation {
  query: RowSort;
  key: RowSort;
  /** Key/value heads of the gathered K and V: Hkv, or H when keys are sorted per query head. */
  kvHeads: number;
  /** Key/value heads of the caller's K and V. */
  sourceKvHeads: number;
}

export interface PermutedProgram {
  /** The program the kernels are compiled from: over sorted rows, positions as inputs. */
  ir: IrProgram;
  permutation: RowPermutation;
}

const memo = new WeakMap<IrProgram, PermutedProgram | null>();

/** Whether `ir` is already the output of `permuteRows`. */
export function isPermuted(ir: IrProgram): boolean {
  return ir.inputs.some((i) => i.name.startsWith(PERMUTED_PREFIX));
}

interface Candidate { node: IrNode & { kind: 'input' }; decl: InputDecl; lead: number; side: 'q' | 'k' }

/**
 * The row-permuted program of `ir`, or null when it does not qualify: every rule must read
 * exactly one sort input per side, `x[h, q]` for queries and `x[h, k]` or `x[hkv, k]` for keys,
 * each an lsh bucket id or a bool flag; no block builtins (they index by q // block).
 */
export function permuteRows(ir: IrProgram): PermutedProgram | null {
  if (memo.has(ir)) return memo.get(ir)!;
  const out = isPermuted(ir) ? null : build(ir);
  memo.set(ir, out);
  return out;
}

function build(ir: IrProgram): PermutedProgram | null {
  const { nodes } = ir;
  if (nodes.some((n) => n.kind === 'topk_blocks' || n.kind === 'random_blocks')) return null;
  const b = IrBuilder.from(nodes);
  const hNode = b.variable('h');
  const hkvNode = b.op('floordiv', [hNode, b.op('floordiv', [b.size('H'), b.size('Hkv')])]);
  const varQ = b.variable('q'), varK = b.variable('k');
  const roots = [...ir.rules.map((r) => r.mask), ...(ir.score === null ? [] : [ir.score])];
  const reachable = new Set<number>();
  const visit = (id: number) => {
    if (reachable.has(id)) return;
    reachable.add(id);
    const n = nodes[id]!;
    if (n.kind === 'op' || n.kind === 'table' || n.kind === 'input') n.args.forEach(visit);
    if (n.kind === 'member') { visit(n.value); n.args.forEach(visit); }
  };
  roots.forEach(visit);

  // sort candidates: x[h, q] / x[h | hkv, k] with a small key range
  const candidates: Candidate[] = [];
  for (const id of reachable) {
    const n = nodes[id]!;
    if (n.kind !== 'input' || n.args.length !== 2) continue;
    const decl = ir.inputs.find((i) => i.name === n.name)!;
    const [lead, last] = n.args as [number, number];
    const side = last === varQ ? 'q' : last === varK ? 'k' : null;
    if (!side) continue;
    if (!(decl.type === 'bool' || (decl.type === 'int' && decl.source.kind === 'lsh'))) continue;
    const want = side === 'q' ? 'Nq' : 'Nk';
    const dim = lead === hNode ? 'H' : lead === hkvNode && side === 'k' ? 'Hkv' : null;
    if (!dim || decl.shape[0] !== dim || decl.shape[1] !== want) continue;
    candidates.push({ node: n, decl, lead, side });
  }
  const one = (side: 'q' | 'k') => {
    const names = [...new Set(candidates.filter((c) => c.side === side).map((c) => c.decl.name))];
    return names.length === 1 ? candidates.find((c) => c.side === side && c.decl.name === names[0])! : null;
  };
  const cq = one('q'), ck = one('k');
  if (!cq || !ck) return null;
  // every rule reads both (a rule without them would only lose its static schedule)
  const reads = (root: number, name: string): boolean => {
    const seen = new Set<number>();
    const walk = (id: number): boolean => {
      if (seen.has(id)) return false;
      seen.add(id);
      const n = nodes[id]!;
      if (n.kind === 'input' && n.name === name) return true;
      const kids = n.kind === 'op' || n.kind === 'table' || n.kind === 'input' ? n.args : n.kind === 'member' ? [n.value, ...n.args] : [];
      return kids.some(walk);
    };
    return walk(root);
  };
  if (!ir.rules.every((r) => reads(r.mask, cq.decl.name) && reads(r.mask, ck.decl.name))) return null;
  const { sizes } = ir;
  const keyRowsDim = ck.lead === hNode ? 'H' : 'Hkv';
  // keys sorted per query head with fewer kv heads: the gathered K/V get H heads, so nothing
  // may depend on Hkv any more
  const expandKv = keyRowsDim === 'H' && sizes.Hkv !== sizes.H;
  if (expandKv && (nodes.some((n, i) => reachable.has(i) && n.kind === 'size' && n.name === 'Hkv') || ir.inputs.some((i) => i.shape.includes('Hkv')))) return null;

  const inputs: InputDecl[] = [...ir.inputs];
  const addInput = (name: string, type: InputDecl['type'], shape: InputDecl['shape']) => {
    inputs.push({ name, type, shape, source: { kind: 'given' } });
    return name;
  };
  const sortOf = (c: Candidate): RowSort => {
    const rowsDim = c.lead === hNode ? 'H' : 'Hkv';
    const nDim = c.side === 'q' ? 'Nq' : 'Nk';
    const positions = addInput(`${PERMUTED_PREFIX}pos_${c.side}`, 'int', [rowsDim, nDim]);
    const src = c.decl.source;
    return {
      side: c.side, keyInput: c.decl.name, keyKind: c.decl.type === 'bool' ? 'keep' : 'bucket',
      buckets: src.kind === 'lsh' ? src.buckets : 2,
      rowsDim, rows: rowsDim === 'H' ? sizes.H : sizes.Hkv, n: sizes[nDim], positions, gathered: [],
    };
  };
  const query = sortOf(cq), key = sortOf(ck);

  // rewrite: q -> pos_q[h, q], k -> pos_k[hk, k], x[lead, q|k] (sorted row layout) -> permuted copy
  const posQ = b.add({ kind: 'input', name: query.positions, args: [cq.lead, varQ], type: 'int' });
  const posK = b.add({ kind: 'input', name: key.positions, args: [ck.lead, varK], type: 'int' });
  const gatheredCopy = (n: IrNode & { kind: 'input' }): string | null => {
    const [lead, last] = n.args;
    const sort = last === varQ && lead === cq.lead ? query : last === varK && lead === ck.lead ? key : null;
    const decl = ir.inputs.find((i) => i.name === n.name)!;
    // float inputs stay in place and are read at the original position (the gather moves ints)
    if (!sort || decl.type === 'float' || n.args.length !== 2 || decl.shape[0] !== sort.rowsDim || decl.shape[1] !== (sort.side === 'q' ? 'Nq' : 'Nk')) return null;
    let g = sort.gathered.find((x) => x.from === n.name);
    if (!g) {
      g = { from: n.name, to: addInput(`${PERMUTED_PREFIX}${n.name}`, decl.type, decl.shape) };
      sort.gathered.push(g);
    }
    return g.to;
  };
  const rewritten = new Map<number, number>();
  const rewrite = (id: number): number => {
    const hit = rewritten.get(id);
    if (hit !== undefined) return hit;
    const n = nodes[id]!;
    let out: number;
    if (id === varQ) out = posQ;
    else if (id === varK) out = posK;
    else if (n.kind === 'input' && gatheredCopy(n) !== null) out = b.add({ ...n, name: gatheredCopy(n)! });
    else if (n.kind === 'op' || n.kind === 'table' || n.kind === 'input') out = b.add({ ...n, args: n.args.map(rewrite) });
    else if (n.kind === 'member') out = b.add({ ...n, value: rewrite(n.value), args: n.args.map(rewrite) });
    else out = id;
    rewritten.set(id, out);
    return out;
  };
  const rules = ir.rules.map((r) => ({ ...r, mask: rewrite(r.mask) }));
  const score = ir.score === null ? null : rewrite(ir.score);
  const permSizes: Sizes = { ...sizes, Hkv: expandKv ? sizes.H : sizes.Hkv };
  return {
    ir: { ...ir, sizes: permSizes, inputs, nodes: b.nodes, rules, score },
    permutation: { query, key, kvHeads: permSizes.Hkv, sourceKvHeads: sizes.Hkv },
  };
}
