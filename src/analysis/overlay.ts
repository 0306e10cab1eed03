// Analysis stage, step 4 (fast path): masks that are a random_blocks leaf OR-ed onto a static
// rest (`rest or random_blocks(...)`: BigBird's heads, the union of a layer's heads) or taken away
// from it (`rest and not random_blocks(...)`: coverage gaps). The rest does not depend on the draw,
// so it is classified once and shared by every head and the union; a head then costs its chosen
// blocks: per row, the rest's tile runs are copied and only the few tiles the draw hits are
// changed. A hit tile where the rest is neither absorbing nor neutral (e.g. a window's edge) is
// decided by the general row machinery (probeTile), so results equal the general path exactly.
import type { AnalysisContext } from './context.ts';
import { classify, probeTile, type Classification } from './classify.ts';
import { newRandomHits, randomHits } from './leaves.ts';
import { countTiles, TileMapBuilder, type TileMap } from './tilemap.ts';
import { refineRect } from './refine.ts';

const T = 1;
const EMPTY = 0, FULL = 1, PARTIAL = 2;

/** `root` as op(rest, X) (or) / op(rest, not X) (and) with X a random_blocks leaf, or null. */
export interface OverlayParts { op: 'or' | 'and'; rest: number; random: number }

export function overlayParts(ctx: AnalysisContext, root: number): OverlayParts | null {
  const { pool } = ctx;
  const n = pool.nodes[root]!;
  if (n.kind !== 'op' || (n.op !== 'or' && n.op !== 'and') || n.args.length < 2) return null;
  const isRandom = (id: number) => pool.nodes[id]!.kind === 'random';
  if (n.op === 'or') {
    const xs = n.args.filter(isRandom);
    if (xs.length !== 1) return null;
    const others = n.args.filter((a) => a !== xs[0]);
    if (others.some((a) => hasRandom(ctx, a))) return null;
    return { op: 'or', rest: others.length === 1 ? others[0]! : pool.op('or', 'bool', others), random: xs[0]! };
  }
  // and(..., not(or(..., X))): X taken away from and(..., not(or(...)))
  let found: OverlayParts | null = null;
  const others: number[] = [];
  for (const a of n.args) {
    const m = pool.nodes[a]!;
    if (!found && m.kind === 'op' && m.op === 'not') {
      const inner = m.args[0]!;
      const z = pool.nodes[inner]!;
      if (isRandom(inner)) { found = { op: 'and', rest: -1, random: inner }; continue; }
      if (z.kind === 'op' && z.op === 'or') {
        const xs = z.args.filter(isRandom);
        const rest = z.args.filter((b) => !isRandom(b));
        if (xs.length === 1 && rest.length >= 1 && !rest.some((b) => hasRandom(ctx, b))) {
          found = { op: 'and', rest: -1, random: xs[0]! };
          others.push(pool.op('not', 'bool', [rest.length === 1 ? rest[0]! : pool.op('or', 'bool', rest)]));
          continue;
        }
      }
    }
    others.push(a);
  }
  if (!found || others.some((a) => hasRandom(ctx, a))) return null;
  found.rest = others.length === 1 ? others[0]! : pool.op('and', 'bool', others);
  return found;
}

function hasRandom(ctx: AnalysisContext, id: number): boolean {
  const n = ctx.pool.nodes[id]!;
  if (n.kind === 'random' || n.kind === 'topk') return true;
  return n.kind === 'op' && n.args.some((a) => hasRandom(ctx, a));
}

/** The classification of `root` through its overlay form, or null when it has none (or the rest is runtime). */
export function classifyOverlay(ctx: AnalysisContext, root: number): Classification | null {
  const parts = overlayParts(ctx, root);
  if (!parts) return null;
  const rest = classify(ctx, parts.rest);
  if (rest.runtime) return null;
  const isOr = parts.op === 'or';
  // the rest's code where the draw decides nothing (or: FULL; and: EMPTY) and where the draw alone decides
  const absorbing = isOr ? FULL : EMPTY, neutral = isOr ? EMPTY : FULL;
  const { nqt, nkt, Nq } = ctx;
  const { bq, bk } = ctx.tile;
  const m: TileMap = rest.map;
  const b = new TileMapBuilder(nqt, nkt, m.code.length + 1024);
  let allowed = rest.allowed, exact = rest.allowedExact;
  // this row's hits (its own scratch: probes below read random rows too)
  const hit = newRandomHits();
  for (let qt = 0; qt < nqt; qt++) {
    b.startRow(qt);
    const q0 = qt * bq, q1 = Math.min(Nq, q0 + bq) - 1;
    randomHits(ctx, parts.random, q0, q1, hit);
    let i = m.rowPtr[qt]!, pos = 0;
    const iEnd = m.rowPtr[qt + 1]!;
    for (let h = 0; h <= hit.n; h++) {
      // the rest's runs clipped to [pos, kt) where the draw has nothing
      const kt = h < hit.n ? hit.tile[h]! : nkt;
      while (i < iEnd && m.kt1[i]! <= pos) i++;
      for (let j = i; j < iEnd && m.kt0[j]! < kt; j++) b.add(Math.max(pos, m.kt0[j]!), Math.min(kt, m.kt1[j]!), m.code[j]!);
      if (h === hit.n) break;
      pos = kt + 1;
      while (i < iEnd && m.kt1[i]! <= kt) i++;
      const restCode = i < iEnd && m.kt0[i]! <= kt ? m.code[i]! : EMPTY;
      if (restCode === absorbing) { b.add(kt, kt + 1, restCode); continue; }
      if (restCode === neutral) {
        // or: X's own tile (the rest had none of it); and: the full tile less X's elements
        const v = hit.value[h]!, cx = hit.count[h]!;
        if (isOr) { b.add(kt, kt + 1, v === T ? FULL : PARTIAL); allowed += cx; }
        else { b.add(kt, kt + 1, v === T ? EMPTY : PARTIAL); allowed -= cx; }
        continue;
      }
      // the rest is mixed on the tile: X's elements are whole chosen block cells, so the tile's
      // count is the rest's plus (or: the cells' area less the rest's count on them) or less
      // (and: the rest's count on the cells); when a count is not exact, the general machinery
      const part = probeTile(ctx, parts.rest, qt, kt);
      const onCells = part.exact ? countOnCells(ctx, parts.random, parts.rest, qt, kt) : undefined;
      if (onCells !== undefined) {
        const area = (Math.min(Nq, q0 + bq) - q0) * (Math.min(ctx.Nk, kt * bk + bk) - kt * bk);
        const delta = isOr ? hit.count[h]! - onCells : -onCells;
        const c = part.count + delta;
        b.add(kt, kt + 1, c === 0 ? EMPTY : c === area ? FULL : PARTIAL);
        allowed += delta;
        continue;
      }
      const whole = probeTile(ctx, root, qt, kt);
      b.add(kt, kt + 1, whole.code);
      allowed += whole.count - part.count;
      if (!whole.exact || !part.exact) exact = false;
    }
  }
  const map = b.finish();
  const tiles = countTiles(map);
  const runtime = tiles[4]! > 0;
  return { root, map, tiles, allowed, allowedExact: exact && !runtime, runtime };
}

/**
 * Allowed elements of `base` on the chosen block cells of random leaf `random` inside tile
 * (qt, kt), or undefined when some cell's count is not exact (refinement budget).
 */
function countOnCells(ctx: AnalysisContext, random: number, base: number, qt: number, kt: number): number | undefined {
  const node = ctx.pool.nodes[random]!;
  if (node.kind !== 'random') return undefined;
  const idx = ctx.randomIndex(node);
  const prog = ctx.program(base);
  const bs = node.block;
  const [q0, q1] = ctx.qRange(qt), [k0, k1] = ctx.kRange(kt);
  const kb0 = Math.floor(k0 / bs), kb1 = Math.floor(k1 / bs);
  let total = 0;
  for (let qb = Math.floor(q0 / bs); qb <= Math.floor(q1 / bs); qb++) {
    const chosen = idx.chosen(qb);
    const [i0, i1] = idx.rangeIn(qb, kb0, kb1);
    for (let i = i0; i < i1; i++) {
      const kb = chosen[i]!;
      const r = refineRect(ctx, prog, Math.max(q0, qb * bs), Math.min(q1, qb * bs + bs - 1), Math.max(k0, kb * bs), Math.min(k1, kb * bs + bs - 1), true);
      if (!r.exact) return undefined;
      total += r.count;
    }
  }
  return total;
}
