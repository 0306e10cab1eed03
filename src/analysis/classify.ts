// Analysis stage, step 4: the tile classes of one folded mask. Leaves are of three kinds: over
// k only (solved once per key tile, shared by all rows), over q only (one value per row), and
// over both (a few runs per row). Along a row, the runs of the two-variable leaves cut the key
// tiles into segments. Where every two-variable and query-only leaf is TRUE or FALSE, the mask
// (or runtime-unknown) reduces to a key-only residual expression whose tile runs are copied (with counts from prefix
// sums): banded and strided masks cost O(segments + output runs) per row. Other segments are
// evaluated tile by tile in five-valued logic, and tiles left UNKNOWN are refined by splitting.
// The same machinery answers single tiles (probeTile) for the random-blocks overlay (overlay.ts),
// which classifies `rest or random_blocks(...)` masks without going row by row.
import type { AnalysisContext } from './context.ts';
import { DEP_K, DEP_Q } from './fold.ts';
import { isSkeleton } from './interval.ts';
import { affineValue, kTileRuns, leafRow, profileBoundaries, profileOf, profileValueAt, tileSummary } from './leaves.ts';
import { leafCount, refineRect } from './refine.ts';
import { countPlan, countRows } from './count.ts';
import { TileMapBuilder, type TileMap } from './tilemap.ts';
import { classifyOverlay } from './overlay.ts';

// BoolVal and tile codes as local constants: imported bindings are slower in hot loops
const F = 0, T = 1, M = 2, U = 3, R = 4;
const EMPTY = 0, FULL = 1, PARTIAL = 2, PARTIAL_UNDECIDED = 3, PARTIAL_RUNTIME = 4;
const CODE_OF = [EMPTY, FULL, PARTIAL, PARTIAL_UNDECIDED, PARTIAL_RUNTIME];
const and2 = (a: number, b: number) => (a === F || b === F ? F : a === T ? b : b === T ? a : a === R || b === R ? R : U);
const or2 = (a: number, b: number) => (a === T || b === T ? T : a === F ? b : b === F ? a : a === R || b === R ? R : U);
const not1 = (a: number) => (a === T ? F : a === F ? T : a);

export interface Classification {
  root: number;
  map: TileMap;
  /** Tiles per code: [EMPTY, FULL, PARTIAL, PARTIAL_UNDECIDED, PARTIAL_RUNTIME]. */
  tiles: number[];
  /** Allowed (q, k) pairs; runtime-dependent pieces count as allowed (static envelope). */
  allowed: number;
  /** False when some partial tile's count was estimated (budget) or the mask is runtime. */
  allowedExact: boolean;
  runtime: boolean;
}

/** Tile classes of a folded mask (memoised per context: union masks often equal a head's). */
export function classify(ctx: AnalysisContext, root: number): Classification {
  let c = ctx.classifications.get(root) as Classification | undefined;
  if (!c) {
    c = classifyOverlay(ctx, root) ?? rowClassifier(ctx, root).run();
    ctx.classifications.set(root, c);
  }
  return c;
}

/** The row-wise classification, never the overlay fast path (tests compare the two). */
export function classifyRowWise(ctx: AnalysisContext, root: number): Classification {
  return rowClassifier(ctx, root).run();
}

/** Class and allowed elements of one tile, as the row-wise classification would give them. */
export interface TileProbe { code: number; count: number; exact: boolean }

/** Single tiles of a mask by the general row machinery (memoised per context and root). */
export function probeTile(ctx: AnalysisContext, root: number, qt: number, kt: number): TileProbe {
  let c = ctx.probes.get(root) as RowClassifier | undefined;
  if (!c) { c = rowClassifier(ctx, root); ctx.probes.set(root, c); }
  return c.probe(qt, kt);
}

interface RowClassifier { run(): Classification; probe(qt: number, kt: number): TileProbe }

interface TileSink { add(a: number, b: number, c: number): void }

function rowClassifier(ctx: AnalysisContext, root: number): RowClassifier {
  const { nqt, nkt, Nk, pool } = ctx;
  const { bk } = ctx.tile;
  const prog = ctx.program(root);
  // tiles go to `builder`: the tile map for a whole classification, a one-tile capture for a probe
  let builder: TileSink = { add() {} };
  const tiles = [0, 0, 0, 0, 0];
  let allowed = 0, allowedExact = true, runtime = false;

  // --- leaves of the skeleton
  const isLeaf = (id: number) => !isSkeleton(pool, id) || pool.dep[id] !== (DEP_Q | DEP_K);
  const rowLeaves: number[] = [], qLeaves: number[] = [], kLeaves: number[] = [];
  const slot = new Map<number, number>();
  {
    const seen = new Set<number>();
    const walk = (id: number) => {
      if (seen.has(id)) return;
      seen.add(id);
      const n = pool.nodes[id]!;
      if (n.kind === 'const') return;
      if (isLeaf(id)) {
        const d = pool.dep[id]!;
        (d === (DEP_Q | DEP_K) ? rowLeaves : d === DEP_Q ? qLeaves : kLeaves).push(id);
        return;
      }
      if (n.kind === 'op') n.args.forEach(walk);
    };
    walk(root);
    [...rowLeaves, ...qLeaves, ...kLeaves].forEach((id, i) => slot.set(id, i));
  }
  const nAssign = rowLeaves.length + qLeaves.length;
  const slotOf = new Int32Array(pool.nodes.length).fill(-1);
  for (const [id, i] of slot) slotOf[id] = i;
  const kVals = kLeaves.map((id) => tileSummary(ctx, id, 'k').val);
  const cur = new Uint8Array(slot.size);
  const curSrc = new Int32Array(slot.size);
  const residuals = new Map<number | string, number>();
  // a runtime-valued leaf is replaced by an opaque runtime atom: the residual stays key-only
  const runtimeAtom = pool.intern({ kind: 'input', name: '$runtime', type: 'bool', args: [] });

  /** The mask rebuilt (hash-consed) with every leaf in `slot` replaced by leaf(slot index, id). */
  const substitute = (leaf: (s: number, id: number) => number): number => {
    const memo = new Map<number, number>();
    const sub = (id: number): number => {
      const s = slot.get(id);
      if (s !== undefined) return leaf(s, id);
      const n = pool.nodes[id]!;
      if (n.kind !== 'op') return id;
      let m = memo.get(id);
      if (m === undefined) { m = pool.op(n.op, n.type, n.args.map(sub)); memo.set(id, m); }
      return m;
    };
    return sub(root);
  };

  /** The mask with the current TRUE / FALSE values of row and query leaves substituted. */
  const residual = (): number => {
    let key: number | string = 0;
    if (nAssign <= 19) for (let i = 0; i < nAssign; i++) key = (key as number) * 3 + (cur[i] === T ? 1 : cur[i] === R ? 2 : 0);
    else { key = ''; for (let i = 0; i < nAssign; i++) key += cur[i] === T ? '1' : cur[i] === R ? '2' : '0'; }
    let r = residuals.get(key);
    if (r !== undefined) return r;
    r = substitute((s, id) => (s < nAssign ? (cur[s] === R ? runtimeAtom : pool.bool(cur[s] === T)) : id));
    residuals.set(key, r);
    return r;
  };

  /** Five-valued value of node id on the current tile (leaf values in cur); src in evalSrc. */
  let evalSrc = -1;
  /** While true, key-only leaf values in cur are set by splitTile, not read per tile. */
  let pieceMode = false;
  const evalTile = (id: number, kt: number): number => {
    const s = id < slotOf.length ? slotOf[id]! : -1;
    if (s >= 0) {
      if (s >= nAssign && !pieceMode) { cur[s] = kVals[s - nAssign]![kt]!; curSrc[s] = id * 2; }
      evalSrc = cur[s] === M ? curSrc[s]! : -1;
      return cur[s]!;
    }
    const n = pool.nodes[id]!;
    if (n.kind === 'const') { evalSrc = -1; return n.value ? T : F; }
    if (n.kind !== 'op') throw new Error('unexpected skeleton node');
    switch (n.op) {
      case 'not': { const v = not1(evalTile(n.args[0]!, kt)); if (evalSrc >= 0) evalSrc ^= 1; return v; }
      case 'and': case 'or': {
        const isAnd = n.op === 'and';
        let v = isAnd ? T : F, vs = -1;
        for (const a of n.args) {
          const w = evalTile(a, kt);
          const nv = isAnd ? and2(v, w) : or2(v, w);
          if (nv === M) vs = v === M ? vs : evalSrc;
          v = nv;
          if (v === (isAnd ? F : T)) break;
        }
        evalSrc = v === M ? vs : -1;
        return v;
      }
      case 'select': {
        const c = evalTile(n.args[0]!, kt);
        if (c === T) return evalTile(n.args[1]!, kt);
        if (c === F) return evalTile(n.args[2]!, kt);
        const p = evalTile(n.args[1]!, kt), r = evalTile(n.args[2]!, kt);
        evalSrc = -1;
        return p === r && (p === T || p === F) ? p : c === R || p === R || r === R ? R : U;
      }
      case 'eq': case 'ne': {
        const p = evalTile(n.args[0]!, kt), r = evalTile(n.args[1]!, kt);
        evalSrc = -1;
        if ((p === T || p === F) && (r === T || r === F)) return (p === r) !== (n.op === 'ne') ? T : F;
        return p === R || r === R ? R : U;
      }
      default: throw new Error(`unexpected skeleton op ${n.op}`);
    }
  };

  let q0 = 0, q1 = 0, rows = 0, qt = 0;

  /** One tile whose value is v (src for M): count it, refining when needed. */
  const emitTile = (kt: number, v: number, src: number) => {
    let code = CODE_OF[v]!;
    if (v === T || v === R) allowed += rows * (Math.min(kt * bk + bk, Nk) - kt * bk);
    if (v === R) runtime = true;
    if (v === M || v === U) {
      const c = v === M && src >= 0 ? ctx.tileLeafCount(src, qt, kt) : undefined;
      if (c !== undefined) allowed += c;
      else if (splitTile(kt)) return;
      else {
        const k0 = kt * bk, k1 = Math.min(k0 + bk, Nk) - 1;
        const ref = refineRect(ctx, prog, q0, q1, k0, k1, true);
        allowed += ref.count;
        if (!ref.exact) allowedExact = false;
        code = CODE_OF[ref.value]!;
        if (code === PARTIAL_RUNTIME) runtime = true;
      }
    }
    builder.add(kt, kt + 1, code);
    tiles[code]!++;
  };

  /**
   * An undecided tile cut along k where the key-only leaves change value: on each piece those
   * are constant and the two-variable leaves are evaluated alone (cheap, often decided or a
   * countable MIXED). Returns false when the cut is not worth it (no key-only leaf, many pieces).
   */
  const cuts: number[] = [];
  const pieceResiduals = new Map<string, number>();
  /** The mask with every TRUE / FALSE leaf of the current piece (values in cur) substituted. */
  const pieceResidual = (): number => {
    let key = '';
    for (let i = 0; i < cur.length; i++) key += cur[i] === T ? '1' : cur[i] === F ? '0' : 'x';
    let r = pieceResiduals.get(key);
    if (r !== undefined) return r;
    r = substitute((s, id) => (cur[s] === T ? pool.bool(true) : cur[s] === F ? pool.bool(false) : id));
    pieceResiduals.set(key, r);
    return r;
  };
  const splitTile = (kt: number): boolean => {
    if (kLeaves.length === 0) return false;
    const k0 = kt * bk, k1 = Math.min(k0 + bk, Nk) - 1;
    cuts.length = 0;
    cuts.push(k0, k1 + 1);
    for (const id of kLeaves) {
      profileBoundaries(profileOf(ctx, id, 'k'), k0, k1 + 1, cuts);
      if (cuts.length > 10) return false;
    }
    cuts.sort((x, y) => x - y);
    const saved = cur.slice(0, nAssign), savedSrc = curSrc.slice(0, nAssign);
    let sawT = false, sawF = false, sawR = false, undecided = false, cnt = 0;
    pieceMode = true;
    for (let i = 0; i + 1 < cuts.length; i++) {
      const a = cuts[i]!, b = cuts[i + 1]! - 1;
      if (b < a) continue;
      for (let j = 0; j < kLeaves.length; j++) { cur[nAssign + j] = profileValueAt(profileOf(ctx, kLeaves[j]!, 'k'), a); curSrc[nAssign + j] = kLeaves[j]! * 2; }
      for (let j = 0; j < rowLeaves.length; j++) {
        const id = rowLeaves[j]!;
        const fast = affineValue(ctx, id, q0, q1, a, b);
        cur[j] = fast >= 0 ? fast : ctx.program(id).eval(q0, q1, a, b);
        curSrc[j] = id * 2;
      }
      const v = evalTile(root, kt);
      const area = rows * (b - a + 1);
      if (v === T) { sawT = true; cnt += area; continue; }
      if (v === F) { sawF = true; continue; }
      if (v === R) { sawR = true; cnt += area; continue; }
      const c = v === M && evalSrc >= 0 ? leafCount(ctx, evalSrc, q0, q1, a, b) : undefined;
      if (c !== undefined) { cnt += c; if (c > 0) sawT = true; if (c < area) sawF = true; continue; }
      // the mask with this piece's decided leaves substituted: often a conjunction counted row by row
      const rest = pieceResidual();
      const plan = countPlan(ctx, rest);
      if (plan) {
        const n = countRows(ctx, plan, q0, q1, a, b);
        cnt += n; if (n > 0) sawT = true; if (n < area) sawF = true;
        continue;
      }
      const ref = refineRect(ctx, ctx.program(rest), q0, q1, a, b, true);
      cnt += ref.count;
      if (!ref.exact) allowedExact = false;
      if (ref.value === T) sawT = true;
      else if (ref.value === F) sawF = true;
      else if (ref.value === M) sawT = sawF = true;
      else if (ref.value === R) sawR = true;
      else undecided = true;
    }
    pieceMode = false;
    cur.set(saved); curSrc.set(savedSrc);
    const code = sawR ? PARTIAL_RUNTIME : sawT && sawF ? PARTIAL : undecided ? PARTIAL_UNDECIDED : sawT ? FULL : EMPTY;
    if (sawR) runtime = true;
    allowed += cnt;
    builder.add(kt, kt + 1, code);
    tiles[code]!++;
    return true;
  };

  /** Tiles [a, b) all of value v (T, F or R). */
  const emitUniform = (a: number, b: number, v: number) => {
    const code = CODE_OF[v]!;
    builder.add(a, b, code);
    tiles[code]! += b - a;
    if (v !== F) allowed += rows * (Math.min(b * bk, Nk) - a * bk);
    if (v === R) runtime = true;
  };

  /** Tiles [a, b) of a key-only residual r. */
  const emitResidual = (r: number, a: number, b: number) => {
    const n = pool.nodes[r]!;
    if (n.kind === 'const') { emitUniform(a, b, n.value ? T : F); return; }
    const { ends, vals, cum, live } = kTileRuns(ctx, r);
    if (live && b - a > 8) {
      // counts from prefix sums, and only the runs that are not FALSE visited
      const nM = live.cumM[b]! - live.cumM[a]!, nT = live.cumT[b]! - live.cumT[a]!, nR = live.cumR[b]! - live.cumR[a]!;
      tiles[PARTIAL]! += nM; tiles[FULL]! += nT; tiles[PARTIAL_RUNTIME]! += nR;
      tiles[EMPTY]! += b - a - nM - nT - nR;
      allowed += rows * (cum[b]! - cum[a]!);
      if (nR) runtime = true;
      const { start, end, val } = live;
      let lo = 0, hi = end.length;
      while (lo < hi) { const m = (lo + hi) >> 1; if (end[m]! <= a) lo = m + 1; else hi = m; }
      for (let i = lo; i < end.length && start[i]! < b; i++) builder.add(Math.max(a, start[i]!), Math.min(b, end[i]!), CODE_OF[val[i]!]!);
      return;
    }
    let lo = 0, hi = ends.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (ends[m]! <= a) lo = m + 1; else hi = m; }
    let s = a;
    for (let i = lo; i < ends.length && s < b; i++) {
      const e = Math.min(ends[i]!, b);
      const v = vals[i]!;
      if (v === F) tiles[EMPTY]! += e - s;
      else if (v === M) {
        builder.add(s, e, PARTIAL);
        tiles[PARTIAL]! += e - s;
        allowed += rows * (cum[e]! - cum[s]!);
      } else if (v === U) {
        for (let kt = s; kt < e; kt++) emitTile(kt, U, -1);
      } else emitUniform(s, e, v);
      s = e;
    }
  };

  const nRow = rowLeaves.length;
  const runsOf: number[][] = new Array(nRow);
  const at = new Int32Array(nRow);
  let staticAssign = true;
  /** Row state for query tile t: leaf runs, query-only leaf values. */
  const setRow = (t: number) => {
    qt = t;
    q0 = qt * ctx.tile.bq;
    q1 = Math.min(ctx.Nq, q0 + ctx.tile.bq) - 1;
    rows = q1 - q0 + 1;
    for (let i = 0; i < nRow; i++) { runsOf[i] = leafRow(ctx, rowLeaves[i]!, qt); at[i] = 0; }
    staticAssign = true;
    for (let i = 0; i < qLeaves.length; i++) {
      const v = tileSummary(ctx, qLeaves[i]!, 'q').val[qt]!;
      cur[nRow + i] = v; curSrc[nRow + i] = qLeaves[i]! * 2;
      if (v !== T && v !== F && v !== R) staticAssign = false;
    }
  };
  /** Key tiles [from, to) of the current row (from at or after the previous call's end, or a fresh row). */
  const emitRange = (from: number, to: number) => {
    let pos = from;
    while (pos < to) {
      let end = to, uniform = staticAssign;
      for (let i = 0; i < nRow; i++) {
        const r = runsOf[i]!;
        while (r[at[i]! + 1]! <= pos) at[i]! += 4;
        const e = r[at[i]! + 1]!, v = r[at[i]! + 2]!;
        if (e < end) end = e;
        cur[i] = v; curSrc[i] = rowLeaves[i]! * 2;
        if (v !== T && v !== F && v !== R) uniform = false;
      }
      if (uniform) emitResidual(residual(), pos, end);
      else {
        for (let kt = pos; kt < end; kt++) {
          const v = evalTile(root, kt);
          if (v === T || v === F || v === R) emitUniform(kt, kt + 1, v);
          else emitTile(kt, v, evalSrc);
        }
      }
      pos = end;
    }
  };

  const run = (): Classification => {
    const b = new TileMapBuilder(nqt, nkt, ctx.runsHint);
    builder = b;
    for (let t = 0; t < nqt; t++) {
      b.startRow(t);
      setRow(t);
      emitRange(0, nkt);
    }
    if (runtime) allowedExact = false;
    const map = b.finish();
    // sized like this map next time (heads of one pattern have similar maps)
    ctx.runsHint = Math.max(1024, map.code.length + 1);
    return { root, map, tiles, allowed, allowedExact, runtime };
  };

  let probeCode = 0;
  const capture: TileSink = { add(_a, _b, c) { probeCode = c; } };
  const probe = (pt: number, kt: number): TileProbe => {
    builder = capture;
    tiles.fill(0); // (a classifier either runs once or only probes)
    allowed = 0; allowedExact = true; runtime = false;
    probeCode = EMPTY;
    setRow(pt);
    emitRange(kt, kt + 1);
    return { code: probeCode, count: allowed, exact: allowedExact && !runtime };
  };
  return { run, probe };
}
