// Analysis stage, step 2: three-valued (plus "proven mixed" and "runtime") evaluation of a
// folded mask over a rectangle of (q, k) positions. Each node is compiled once into a closure
// over shared typed-array slots; evaluating a rectangle runs the closures in topological order.
// Numeric nodes carry an interval and an EXACT flag: every integer of the interval is attained
// and the node depends on the rectangle only through its support (q, k or both). Two exact
// operands with disjoint supports are independent, which lets comparisons prove MIXED.
import { DEP_K, DEP_Q, type ANode, type NodePool } from './fold.ts';
import { floatFloorDiv, floatFloorMod, floorDiv, floorMod, roundHalfAway } from '../reference/int.ts';
import { RandomBlocksIndex } from './randomIndex.ts';

/** Value of a boolean node over a rectangle. */
export const F = 0, T = 1, M = 2, U = 3, R = 4;
// (hot modules keep their own copies of these constants)
export type BoolVal = 0 | 1 | 2 | 3 | 4;

const EXACT = 1, NAN = 2, RT = 4;

/** Inclusive rectangle of in-range positions. */
export interface Rect { q0: number; q1: number; k0: number; k1: number }

export interface Program {
  /** Evaluate over the rectangle; returns the root's BoolVal. */
  eval(q0: number, q1: number, k0: number, k1: number): BoolVal;
  /** After eval: the leaf whose value the root equals on the rectangle (id*2 + negated), or -1. */
  rootSrc(): number;
  root: number;
}

export interface EvalEnv {
  pool: NodePool;
  Nq: number;
  Nk: number;
  random: (node: Extract<ANode, { kind: 'random' }>) => RandomBlocksIndex;
}

/** Boolean "skeleton" operators; every other boolean node is a leaf. */
export function isSkeleton(pool: NodePool, id: number): boolean {
  const n = pool.nodes[id]!;
  if (n.kind === 'const') return true;
  if (n.kind !== 'op') return false;
  if (n.op === 'and' || n.op === 'or' || n.op === 'not') return true;
  if (n.op === 'select' && n.type === 'bool') return true;
  if ((n.op === 'eq' || n.op === 'ne') && pool.nodes[n.args[0]!]!.kind !== 'var' && isBoolNode(pool, n.args[0]!)) return true;
  return false;
}

function isBoolNode(pool: NodePool, id: number): boolean {
  const n = pool.nodes[id]!;
  switch (n.kind) {
    case 'const': case 'op': case 'table': case 'input': return n.type === 'bool';
    case 'member': case 'random': case 'topk': return true;
    default: return false;
  }
}

// --- five-valued connectives (src: leaf id * 2 + negation, -1 = none)
export function and2(a: number, b: number): number {
  if (a === F || b === F) return F;
  if (a === T) return b;
  if (b === T) return a;
  if (a === R || b === R) return R;
  return U;
}
export function or2(a: number, b: number): number {
  if (a === T || b === T) return T;
  if (a === F) return b;
  if (b === F) return a;
  if (a === R || b === R) return R;
  return U;
}
export function not1(a: number): number {
  return a === T ? F : a === F ? T : a;
}

/** Compile the sub-DAG of `root` into a rectangle evaluator. */
export function compileProgram(env: EvalEnv, root: number): Program {
  const { pool } = env;
  // collect reachable nodes in topological (ascending id) order
  const seen = new Set<number>();
  const stack = [root];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const n = pool.nodes[id]!;
    if (n.kind === 'op' || n.kind === 'table' || n.kind === 'input') stack.push(...n.args);
    if (n.kind === 'member') stack.push(n.value, ...n.args);
  }
  const order = [...seen].sort((a, b) => a - b);
  const slot = new Map<number, number>();
  order.forEach((id, i) => slot.set(id, i));
  const size = order.length;
  const lo = new Float64Array(size);
  const hi = new Float64Array(size);
  const fl = new Uint8Array(size);
  const bv = new Uint8Array(size);
  const src = new Int32Array(size).fill(-1);
  const dep = order.map((id) => pool.dep[id]!);
  const rect = { q0: 0, q1: 0, k0: 0, k1: 0 };
  const steps: Array<() => void> = [];

  for (let i = 0; i < size; i++) {
    const id = order[i]!;
    const n = pool.nodes[id]!;
    const leaf = isBoolNode(pool, id) && !isSkeleton(pool, id);
    const step = compileNode(n, i, id);
    if (leaf) {
      const leafSrc = id * 2;
      steps.push(() => { step(); src[i] = bv[i] === M ? leafSrc : -1; });
    } else {
      steps.push(step);
    }
  }

  function compileNode(n: ANode, i: number, id: number): () => void {
    const s = (a: number) => slot.get(a)!;
    switch (n.kind) {
      case 'const': {
        const v = n.value;
        if (n.type === 'bool') { const b = v ? T : F; return () => { bv[i] = b; }; }
        const f = Number.isInteger(v) && n.type === 'int' ? EXACT : Number.isNaN(v) ? NAN : 0;
        return () => { lo[i] = v; hi[i] = v; fl[i] = f; };
      }
      case 'var':
        if (n.name === 'q') return () => { lo[i] = rect.q0; hi[i] = rect.q1; fl[i] = EXACT; };
        return () => { lo[i] = rect.k0; hi[i] = rect.k1; fl[i] = EXACT; };
      case 'op': return compileOp(n, i, n.args.map(s));
      case 'table': return compileTable(n, i, n.args.map(s));
      case 'input':
        if (n.type === 'bool') return () => { bv[i] = R; };
        return () => { lo[i] = -Infinity; hi[i] = Infinity; fl[i] = RT; };
      case 'member': return () => { bv[i] = R; };
      case 'random': {
        const index = env.random(n);
        const block = n.block;
        return () => {
          bv[i] = index.classify(floorDiv(rect.q0, block), floorDiv(rect.q1, block), floorDiv(rect.k0, block), floorDiv(rect.k1, block));
        };
      }
      case 'topk': {
        const block = n.block;
        if (!n.causal) return () => { bv[i] = R; };
        return () => { bv[i] = floorDiv(rect.k0, block) > floorDiv(rect.q1, block) ? F : R; };
      }
    }
    void id;
  }

  function compileTable(n: Extract<ANode, { kind: 'table' }>, i: number, a: number[]): () => void {
    const { shape, data } = n.decl;
    let gmin = Infinity, gmax = -Infinity;
    for (const x of data) { if (x < gmin) gmin = x; if (x > gmax) gmax = x; }
    const isBool = n.type === 'bool';
    const setRange = (mn: number, mx: number, rt: boolean) => {
      if (isBool) bv[i] = rt ? R : mn === mx ? (mn !== 0 ? T : F) : U;
      else { lo[i] = mn; hi[i] = mx; fl[i] = (rt ? RT : 0) | (mn === mx && n.type === 'int' ? EXACT : 0); }
    };
    return () => {
      let rt = false;
      let count = 1;
      const los: number[] = [], his: number[] = [];
      for (let d = 0; d < a.length; d++) {
        const j = a[d]!;
        if (fl[j]! & (RT | NAN)) rt ||= (fl[j]! & RT) !== 0;
        const n0 = shape[d]!;
        const l0 = Math.min(Math.max(Math.ceil(lo[j]!), 0), n0 - 1);
        const h0 = Math.min(Math.max(Math.floor(hi[j]!), 0), n0 - 1);
        los.push(l0); his.push(Math.max(l0, h0));
        count *= his[d]! - los[d]! + 1;
      }
      if (rt || count > 4096) { setRange(gmin, gmax, rt); return; }
      let mn = Infinity, mx = -Infinity;
      const idx = los.slice();
      for (;;) {
        let off = 0;
        for (let d = 0; d < shape.length; d++) off = off * shape[d]! + idx[d]!;
        const x = data[off]!;
        if (x < mn) mn = x;
        if (x > mx) mx = x;
        let d = shape.length - 1;
        while (d >= 0 && idx[d] === his[d]) { idx[d] = los[d]!; d--; }
        if (d < 0) break;
        idx[d]!++;
      }
      setRange(mn, mx, false);
    };
  }

  function compileOp(n: Extract<ANode, { kind: 'op' }>, i: number, a: number[]): () => void {
    const [x = 0, y = 0, z = 0] = a;
    const isInt = n.type === 'int';
    const indep = (p: number, r: number) => (dep[p]! & dep[r]!) === 0;
    const exactOut = (v: boolean) => (isInt && v ? EXACT : 0);
    const carry = (p: number, r: number) => ((fl[p]! | fl[r]!) & (NAN | RT));
    const pointInt = () => { if (isInt && lo[i] === hi[i]) fl[i]! |= EXACT; };
    switch (n.op) {
      case 'add': return () => {
        lo[i] = lo[x]! + lo[y]!; hi[i] = hi[x]! + hi[y]!;
        fl[i] = carry(x, y) | exactOut((fl[x]! & fl[y]! & EXACT) !== 0 && indep(x, y));
        if (Number.isNaN(lo[i]!) || Number.isNaN(hi[i]!)) nanAll(i);
      };
      case 'sub': return () => {
        lo[i] = lo[x]! - hi[y]!; hi[i] = hi[x]! - lo[y]!;
        fl[i] = carry(x, y) | exactOut((fl[x]! & fl[y]! & EXACT) !== 0 && indep(x, y));
        if (Number.isNaN(lo[i]!) || Number.isNaN(hi[i]!)) nanAll(i);
      };
      case 'neg': return () => { lo[i] = -hi[x]!; hi[i] = -lo[x]!; fl[i] = fl[x]!; };
      case 'abs': return () => {
        const l = lo[x]!, h = hi[x]!;
        if (l >= 0) { lo[i] = l; hi[i] = h; } else if (h <= 0) { lo[i] = -h; hi[i] = -l; } else { lo[i] = 0; hi[i] = Math.max(-l, h); }
        fl[i] = fl[x]!;
      };
      case 'mul': return () => {
        const c1 = lo[x]! * lo[y]!, c2 = lo[x]! * hi[y]!, c3 = hi[x]! * lo[y]!, c4 = hi[x]! * hi[y]!;
        lo[i] = Math.min(c1, c2, c3, c4); hi[i] = Math.max(c1, c2, c3, c4);
        fl[i] = carry(x, y);
        const px = lo[x] === hi[x], py = lo[y] === hi[y];
        if ((px && Math.abs(lo[x]!) <= 1 && fl[y]! & EXACT) || (py && Math.abs(lo[y]!) <= 1 && fl[x]! & EXACT)) fl[i]! |= exactOut(true);
        if (Number.isNaN(lo[i]!) || Number.isNaN(hi[i]!)) nanAll(i);
        pointInt();
      };
      case 'min': case 'max': {
        const f = n.op === 'min' ? Math.min : Math.max;
        return () => {
          lo[i] = f(lo[x]!, lo[y]!); hi[i] = f(hi[x]!, hi[y]!);
          fl[i] = carry(x, y) | exactOut((fl[x]! & fl[y]! & EXACT) !== 0 && indep(x, y));
          pointInt();
        };
      }
      case 'floordiv': return () => {
        const dl = lo[y]!, dh = hi[y]!;
        fl[i] = carry(x, y);
        if (dl === dh) {
          const c = dl;
          if (c === 0) { lo[i] = 0; hi[i] = 0; fl[i]! |= exactOut(true); return; }
          const fd = isInt ? floorDiv : floatFloorDiv;
          const a1 = fd(lo[x]!, c), a2 = fd(hi[x]!, c);
          lo[i] = Math.min(a1, a2); hi[i] = Math.max(a1, a2);
          if (isInt && fl[x]! & EXACT) fl[i]! |= EXACT;
          pointInt();
          return;
        }
        divRange(i, x, dl, dh, isInt ? (p, r) => Math.floor(p / r) : (p, r) => Math.floor(p / r));
        if (!isInt && dl <= 0 && dh >= 0) { lo[i] = -Infinity; hi[i] = Infinity; }
        pointInt();
      };
      case 'div': return () => {
        const dl = lo[y]!, dh = hi[y]!;
        fl[i] = carry(x, y);
        if (dl <= 0 && dh >= 0) { nanAll(i); fl[i]! |= fl[x]! & RT; return; }
        const c1 = lo[x]! / dl, c2 = lo[x]! / dh, c3 = hi[x]! / dl, c4 = hi[x]! / dh;
        lo[i] = Math.min(c1, c2, c3, c4); hi[i] = Math.max(c1, c2, c3, c4);
        if (Number.isNaN(lo[i]!) || Number.isNaN(hi[i]!)) nanAll(i);
      };
      case 'mod': return () => {
        const ml = lo[y]!, mh = hi[y]!;
        const l = lo[x]!, h = hi[x]!;
        fl[i] = carry(x, y);
        if (ml === mh) {
          const m = ml;
          if (m === 0) { lo[i] = 0; hi[i] = 0; fl[i]! |= exactOut(true); return; }
          const fa = Math.floor(l / m), fb = Math.floor(h / m);
          if (fa === fb && Number.isFinite(fa)) {
            const mod = isInt ? floorMod : floatFloorMod;
            const r1 = mod(l, m), r2 = mod(h, m);
            lo[i] = Math.min(r1, r2); hi[i] = Math.max(r1, r2);
            if (isInt && fl[x]! & EXACT) fl[i]! |= EXACT;
          } else {
            if (isInt) { lo[i] = m > 0 ? 0 : m + 1; hi[i] = m > 0 ? m - 1 : 0; } else { lo[i] = Math.min(0, m); hi[i] = Math.max(0, m); }
            if (isInt && fl[x]! & EXACT && h - l + 1 >= Math.abs(m)) fl[i]! |= EXACT;
          }
          pointInt();
          return;
        }
        lo[i] = Math.min(0, ml + (isInt ? 1 : 0)); hi[i] = Math.max(0, mh - (isInt ? 1 : 0));
        pointInt();
      };
      case 'floor': case 'ceil': case 'round': {
        const f = n.op === 'floor' ? Math.floor : n.op === 'ceil' ? Math.ceil : roundHalfAway;
        return () => { lo[i] = f(lo[x]!); hi[i] = f(hi[x]!); fl[i] = fl[x]! & (NAN | RT); pointInt(); };
      }
      case 'tofloat': return () => { lo[i] = lo[x]!; hi[i] = hi[x]!; fl[i] = fl[x]! & (NAN | RT); };
      case 'tanh': case 'exp': return () => {
        const f = n.op === 'tanh' ? Math.tanh : Math.exp;
        lo[i] = f(lo[x]!); hi[i] = f(hi[x]!); fl[i] = fl[x]! & (NAN | RT);
      };
      case 'log': case 'sqrt': return () => {
        const f = n.op === 'log' ? Math.log : Math.sqrt;
        fl[i] = fl[x]! & (NAN | RT);
        if (lo[x]! < 0) fl[i]! |= NAN;
        lo[i] = f(Math.max(lo[x]!, 0)); hi[i] = f(Math.max(hi[x]!, 0));
      };
      case 'eq': case 'ne': case 'lt': case 'le': case 'gt': case 'ge': {
        if (isSkeleton(pool, order[i]!)) {
          const ne = n.op === 'ne';
          return () => {
            const p = bv[x]!, r = bv[y]!;
            if ((p === T || p === F) && (r === T || r === F)) bv[i] = (p === r) !== ne ? T : F;
            else bv[i] = p === R || r === R ? R : U;
            src[i] = -1;
          };
        }
        // normalise to a < b, a <= b, a == b (swap for gt / ge; ne = not eq)
        const swap = n.op === 'gt' || n.op === 'ge';
        const p = swap ? y : x, r = swap ? x : y;
        const strict = n.op === 'lt' || n.op === 'gt';
        const isEq = n.op === 'eq' || n.op === 'ne';
        const neg = n.op === 'ne';
        return () => {
          const f = fl[p]! | fl[r]!;
          if (f & RT) { bv[i] = R; return; }
          if (f & NAN) { bv[i] = U; return; }
          const pl = lo[p]!, ph = hi[p]!, rl = lo[r]!, rh = hi[r]!;
          const exact = (fl[p]! & fl[r]! & EXACT) !== 0 && (dep[p]! & dep[r]!) === 0;
          let v: number;
          if (isEq) {
            if (pl === ph && rl === rh && pl === rl) v = T;
            else if (ph < rl || rh < pl) v = F;
            else v = exact ? M : U;
            if (neg) v = not1(v);
          } else if (strict) {
            v = ph < rl ? T : pl >= rh ? F : exact ? M : U;
          } else {
            v = ph <= rl ? T : pl > rh ? F : exact ? M : U;
          }
          bv[i] = v;
        };
      }
      case 'not': return () => { bv[i] = not1(bv[x]!); src[i] = src[x]! < 0 ? -1 : src[x]! ^ 1; };
      case 'and': case 'or': {
        const isAnd = n.op === 'and';
        const absorb = isAnd ? F : T, unit = isAnd ? T : F;
        return () => {
          let v = unit, sv = -1;
          for (let j = 0; j < a.length; j++) {
            const c = a[j]!;
            const w = bv[c]!;
            if (w === absorb) { v = absorb; sv = -1; break; }
            if (w === unit) continue;
            if (v === unit) { v = w; sv = src[c]!; } else { v = isAnd ? and2(v, w) : or2(v, w); sv = -1; }
          }
          bv[i] = v; src[i] = v === M ? sv : -1;
        };
      }
      case 'select': {
        if (n.type === 'bool') return () => {
          const c = bv[x]!;
          if (c === T) { bv[i] = bv[y]!; src[i] = src[y]!; return; }
          if (c === F) { bv[i] = bv[z]!; src[i] = src[z]!; return; }
          const p = bv[y]!, r = bv[z]!;
          src[i] = -1;
          if (p === r && (p === T || p === F)) bv[i] = p;
          else bv[i] = c === R || p === R || r === R ? R : U;
        };
        return () => {
          const c = bv[x]!;
          if (c === T || c === F) {
            const j = c === T ? y : z;
            lo[i] = lo[j]!; hi[i] = hi[j]!; fl[i] = fl[j]!;
            return;
          }
          lo[i] = Math.min(lo[y]!, lo[z]!); hi[i] = Math.max(hi[y]!, hi[z]!);
          fl[i] = carry(y, z) | (c === R ? RT : 0);
          pointInt();
        };
      }
    }
  }

  function nanAll(i: number) { lo[i] = -Infinity; hi[i] = Infinity; fl[i] = (fl[i]! & RT) | NAN; }

  /** Floor-quotient range of x over a divisor range excluding the point case. */
  function divRange(i: number, x: number, dl: number, dh: number, fd: (p: number, r: number) => number) {
    let mn = Infinity, mx = -Infinity;
    const take = (d0: number, d1: number) => {
      for (const p of [lo[x]!, hi[x]!]) for (const r of [d0, d1]) {
        const v = fd(p, r);
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
    };
    if (dl > 0 || dh < 0) take(dl, dh);
    else {
      if (dl <= -1) take(dl, -1);
      if (dh >= 1) take(1, dh);
      mn = Math.min(mn, 0); mx = Math.max(mx, 0);
    }
    lo[i] = mn; hi[i] = mx;
  }

  const rootSlot = slot.get(root)!;
  const nsteps = steps.length;
  return {
    root,
    eval(q0, q1, k0, k1) {
      rect.q0 = q0; rect.q1 = q1; rect.k0 = k0; rect.k1 = k1;
      for (let j = 0; j < nsteps; j++) steps[j]!();
      return bv[rootSlot]! as BoolVal;
    },
    rootSrc: () => src[rootSlot]!,
  };
}

export { DEP_K, DEP_Q };
