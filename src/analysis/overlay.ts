// Analysis stage, step 4 (fast path): masks that are a random_blocks leaf OR-ed onto a static
// rest (`rest or random_blocks(...)`: BigBird's heads, the union of a layer's heads) or taken away
// from it (`rest and not random_blocks(...)`: coverage gaps). The rest does not depend on the draw,
// so it is classified once and shared by every head and the union; a head then costs its chosen
// blocks: per row, the rest's tile runs are copied and only the few tiles the draw hits are
// changed. A hit tile where the rest is neither absorbing nor neutral (e.g. a window's edge) is
// decided by the general row machinery (probeTile), so results equal the general path exactly.
import type { AnalysisContext } from './context.ts';
import { classify, probeTile, type Classification } from './classify.ts';
import { leafRowOnce } from './leaves.ts';
import { countTiles, TileMapBuilder, type TileMap } from './tilemap.ts';

const F = 0, T = 1;
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
  const { nqt, nkt } = ctx;
  const m: TileMap = rest.map;
  const b = new TileMapBuilder(nqt, nkt, m.code.length + 1024);
  let allowed = rest.allowed, exact = rest.allowedExact;
  for (let qt = 0; qt < nqt; qt++) {
    b.startRow(qt);
    const quads = leafRowOnce(ctx, parts.random, qt);
    let i = m.rowPtr[qt]!;
    const iEnd = m.rowPtr[qt + 1]!;
    for (let p = 0; p < quads.length; p += 4) {
      const t0 = quads[p]!, t1 = quads[p + 1]!, v = quads[p + 2]!;
      if (v === F) {
        // the rest's runs clipped to [t0, t1)
        while (i < iEnd && m.kt1[i]! <= t0) i++;
        for (let j = i; j < iEnd && m.kt0[j]! < t1; j++) b.add(Math.max(t0, m.kt0[j]!), Math.min(t1, m.kt1[j]!), m.code[j]!);
        continue;
      }
      // a hit: one tile (randomRow emits hit tiles one by one)
      for (let kt = t0; kt < t1; kt++) {
        while (i < iEnd && m.kt1[i]! <= kt) i++;
        const restCode = i < iEnd && m.kt0[i]! <= kt ? m.code[i]! : EMPTY;
        if (restCode === absorbing) { b.add(kt, kt + 1, restCode); continue; }
        if (restCode === neutral) {
          // or: X's own tile (the rest had none of it); and: the full tile less X's elements
          const cx = quads[p + 3]!;
          if (isOr) { b.add(kt, kt + 1, v === T ? FULL : PARTIAL); allowed += cx; }
          else { b.add(kt, kt + 1, v === T ? EMPTY : PARTIAL); allowed -= cx; }
          continue;
        }
        const whole = probeTile(ctx, root, qt, kt), part = probeTile(ctx, parts.rest, qt, kt);
        b.add(kt, kt + 1, whole.code);
        allowed += whole.count - part.count;
        if (!whole.exact || !part.exact) exact = false;
      }
    }
  }
  const map = b.finish();
  const tiles = countTiles(map);
  const runtime = tiles[4]! > 0;
  return { root, map, tiles, allowed, allowedExact: exact && !runtime, runtime };
}
