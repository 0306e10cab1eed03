// The SPEC's built-in masks written as IR by hand (the formulas of grammar/SPEC.md), for
// analysis tests that do not go through the front end.
import { IrBuilder } from '../reference/irBuilder.ts';

export class MaskBuilder extends IrBuilder {
  get q() { return this.v('q'); }
  get k() { return this.v('k'); }
  get h() { return this.v('h'); }
  I(n: number) { return this.int(n); }
  add2(a: number, b: number) { return this.op('add', 'int', a, b); }
  sub2(a: number, b: number) { return this.op('sub', 'int', a, b); }
  fdiv(a: number, c: number) { return this.op('floordiv', 'int', a, this.int(c)); }
  mod(a: number, c: number) { return this.op('mod', 'int', a, c); }
  and(...a: number[]) { return this.op('and', 'bool', ...a); }
  or(...a: number[]) { return this.op('or', 'bool', ...a); }
  not(a: number) { return this.op('not', 'bool', a); }
  except(a: number, b: number) { return this.and(a, this.not(b)); }
  le(a: number, b: number) { return this.op('le', 'bool', a, b); }
  lt(a: number, b: number) { return this.op('lt', 'bool', a, b); }
  eq(a: number, b: number) { return this.op('eq', 'bool', a, b); }

  causal() { return this.le(this.k, this.q); }
  causalBottomRight() { return this.le(this.k, this.add2(this.q, this.sub2(this.size('Nk'), this.size('Nq')))); }
  window(left: number, right = 0) {
    return this.and(this.le(this.sub2(this.q, this.I(left)), this.k), this.le(this.k, this.add2(this.q, this.I(right))));
  }
  dilated(left: number, dilation: number, right = 0) {
    const r = this.sub2(this.q, this.k);
    return this.and(this.le(this.op('neg', 'int', this.I(right)), r), this.le(r, this.I(left)), this.eq(this.mod(r, this.I(dilation)), this.I(0)));
  }
  sinks(n: number) { return this.lt(this.k, this.I(n)); }
  globalQueries(n: number) { return this.lt(this.q, this.I(n)); }
  localBlocks(n: number, block = 64) {
    const d = this.sub2(this.fdiv(this.q, block), this.fdiv(this.k, block));
    return this.and(this.le(this.I(0), d), this.lt(d, this.I(n)));
  }
  vstride(stride: number, block = 64, offset: number | 'h' = 0) {
    const off = offset === 'h' ? this.h : this.I(offset);
    return this.eq(this.mod(this.add2(this.add2(this.fdiv(this.k, block), off), this.I(1)), this.I(stride)), this.I(0));
  }
  shard(n: number, block = 64) {
    return this.eq(this.mod(this.fdiv(this.k, block), this.I(n)), this.mod(this.h, this.I(n)));
  }
  prefixLm(n: number) { return this.or(this.le(this.k, this.q), this.lt(this.k, this.I(n))); }
  random(r: number, block = 64, seed = 0, causal = false, seedPlusH = false) {
    const s = seedPlusH ? this.add2(this.I(seed), this.h) : this.I(seed);
    return this.randomBlocks(r, block, s, causal);
  }
  moa(alpha: number, beta: number) {
    const span = this.op('floor', 'int', this.op('add', 'float', this.float(alpha),
      this.op('mul', 'float', this.float(beta), this.op('tofloat', 'float', this.size('Nk')))));
    return this.and(this.le(this.k, this.q), this.lt(this.sub2(this.q, this.k), span));
  }
}
