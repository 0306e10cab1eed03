// Each semantic rule on its own (positive and negative cases), through the harness.
import { describe, expect, it } from 'vitest';
import { codes, diagnose, memoryFiles } from './harness.ts';
import { declarationsRule } from '../../src/semantics/rules/declarations.ts';
import { sizesRule } from '../../src/semantics/rules/sizes.ts';
import { paramsRule } from '../../src/semantics/rules/params.ts';
import { namesRule } from '../../src/semantics/rules/names.ts';
import { cyclesRule } from '../../src/semantics/rules/cycles.ts';
import { callsRule } from '../../src/semantics/rules/calls.ts';
import { typesRule } from '../../src/semantics/rules/types.ts';
import { indexingRule } from '../../src/semantics/rules/indexing.ts';
import { divisionRule } from '../../src/semantics/rules/division.ts';
import { tablesRule } from '../../src/semantics/rules/tables.ts';
import { inputsRule } from '../../src/semantics/rules/inputs.ts';
import { coverageRule } from '../../src/semantics/rules/coverage.ts';
import { requireRule } from '../../src/semantics/rules/require.ts';
import { unusedRule } from '../../src/semantics/rules/unused.ts';
import { closestName, editDistance } from '../../src/semantics/suggest.ts';

describe('declarationsRule', () => {
  const r = [declarationsRule];
  it('accepts one of each', () => expect(codes('param a = 1\nlet b = q < k\nblock 64\nmask = causal\nscore = s', r)).toEqual([]));
  it('duplicates', () => expect(diagnose('let a = 1\nparam a = 2\nmask = causal', r)).toEqual([{ code: 'E102', line: 2, col: 7, message: "'a' is already declared" }]));
  it('reserved names', () => expect(codes('let h = 1\nparam L = 2\nmask = causal', r)).toEqual(['E106', 'E106']));
  it('params may share a built-in name', () => expect(codes('param window = 3\nmask = window(window)', r)).toEqual([]));
  it('statements allowed once', () => expect(codes('mask = causal\nmask { otherwise: causal }\nsizes L = 1\nsizes H = 2', r)).toEqual(['E103', 'E103']));
  it('missing mask', () => expect(codes('let a = 1', r)).toEqual(['E104']));
  it('imported statements are ignored with a warning', () => {
    const readFile = memoryFiles({ 'lib.attn': 'mask = causal\nsizes L = 2\nlet x = k < 3' });
    expect(codes('import "lib.attn"\nmask = x', r, { readFile })).toEqual(['W601', 'W601']);
  });
  it('clash between a local and an imported name', () => {
    const readFile = memoryFiles({ 'lib.attn': 'let x = k < 3' });
    expect(codes('import "lib.attn"\nlet x = k < 4\nmask = x', r, { readFile })).toEqual(['E102']);
    expect(codes('import "lib.attn" as lib\nlet x = k < 4\nmask = x and lib.x', r, { readFile })).toEqual([]);
  });
});

describe('sizesRule', () => {
  const r = [sizesRule];
  it('valid sizes, defaults and back references', () => expect(codes('sizes Nq = 1024, Nk = 2 * Nq, H = 8, Hkv = H // 4\nmask = causal', r)).toEqual([]));
  it('non-positive, too large, unknown, forward reference', () => {
    expect(codes('sizes Nq = 0, H = 5000, Lx = 2, Nk = Hkv, Hkv = 2\nmask = causal', r)).toEqual(['E401', 'E405', 'E105', 'E404']);
  });
  it('Hkv must divide H', () => expect(diagnose('sizes H = 6, Hkv = 4\nmask = causal', r)[0]).toMatchObject({ code: 'E402', line: 1, col: 20 }));
  it('overrides', () => {
    expect(codes('param w = 3\nmask = window(w)', r, { set: { w: 1.5, nope: 1, H: 0 }, sizes: { Nq: -1 } })).toEqual(['E406', 'E406', 'E406', 'E406']);
    expect(codes('param w = 3\nmask = window(w)', r, { set: { w: 7, L: 4 }, sizes: { Nq: 64 } })).toEqual([]);
  });
});

describe('paramsRule', () => {
  const r = [paramsRule];
  it('constant params of the declared type', () => expect(codes('param a = 3\nparam b: float = a\nparam c = Nq // 2 + a\nparam d = true\nblock c\nmask = causal', r)).toEqual([]));
  it('non-constant and mistyped', () => expect(codes('param a = q\nparam b: int = 0.5\nparam c: bool = 1\nblock -3\nmask = causal', r)).toEqual(['E404', 'E205', 'E205', 'E407']));
});

describe('namesRule', () => {
  const r = [namesRule];
  it('resolves everything in scope', () => expect(codes('block 64\nparam w = 3\nlet a = q - k < w and qb == kb and hkv == 0\nmask = a and causal\nscore = s + Nk', r)).toEqual([]));
  it('unknown names with a suggestion', () => {
    expect(diagnose('param window_size = 4\nmask = k < window_sze', r)).toEqual([{ code: 'E101', line: 2, col: 12, message: "unknown name 'window_sze'" }]);
  });
  it('s outside score, also through lets', () => expect(codes('let b = s > 0.0\nmask = s > 0.0 and b\nscore = s + 1.0', r)).toEqual(['E107', 'E107']));
  it('qb without block', () => expect(codes('mask = qb == kb', r)).toEqual(['E108', 'E108']));
  it('functions and arrays used wrongly', () => {
    expect(codes('param w = 1\ntable t: int[1] = [1]\nmask = w(1) and t and w[0] > 0 and window and frob(2)', r)).toEqual(['E110', 'E113', 'E111', 'E117', 'E109']);
  });
  it('namespaces', () => {
    const readFile = memoryFiles({ 'lib.attn': 'let near = q - k < 8' });
    expect(codes('import "lib.attn" as lib\nmask = lib.near and lib.far and lab.near', r, { readFile })).toEqual(['E101', 'E603']);
  });
  it('no cascade after a failed import or declaration', () => {
    // Only the loader's own errors: no unknown-name errors for a and b.
    expect(codes('import "missing.attn"\nlet b = \nmask = a and b', r, { readFile: memoryFiles({}) })).toEqual(['E003', 'E601']);
  });
});

describe('cyclesRule', () => {
  it('direct and indirect cycles', () => {
    expect(codes('let a = a\nlet b = c\nlet c = b\nparam p = p + 1\nmask = causal', [cyclesRule])).toEqual(['E114', 'E114', 'E114']);
  });
  it('order does not matter', () => expect(codes('mask = a\nlet a = b\nlet b = k < 1', [cyclesRule])).toEqual([]));
});

describe('callsRule', () => {
  const r = [callsRule];
  it('accepts every built-in with its defaults', () => {
    const all = 'causal and causal_bottom_right() and window(4) and dilated(8, 2) and sinks(1) and global_queries(1) and local_blocks(2) and vstride(4, offset = h) and shard(2) and prefix_lm(3) and random_blocks(2, seed = 7 + h, causal = true) and moa(1.0, 0.5) and topk_blocks(4, block = 32)';
    expect(codes(`mask = ${all}\nscore = softcap(s, 30.0) + alibi_slope(h) + clamp(s, -1.0, 1.0) + floor(s) + exp(0.5) + min(1, 2)`, r)).toEqual([]);
  });
  it('argument problems', () => {
    expect(codes('mask = window() and window(1, 2, 3) and window(1, lft = 2) and window(1, left = 2) and window(right = 1, 2)', r)).toEqual(['E301', 'E301', 'E302', 'E303', 'E306']);
  });
  it('constant-ness and ranges', () => {
    expect(codes('mask = local_blocks(2, block = q) and shard(0) and topk_blocks(k) and random_blocks(1, seed = k) and dilated(4, -1)', r)).toEqual(['E304', 'E305', 'E304', 'E304', 'E305']);
  });
  it('argument types', () => expect(codes('mask = window(1.5) and moa(true, 1)', r)).toEqual(['E201', 'E201']));
});

describe('typesRule', () => {
  const r = [typesRule];
  it('int converts to float, not back', () => expect(codes('let a = s * 2\nlet b = k / 2 < q\nmask = b\nscore = a + 1', r)).toEqual([]));
  it('operand and condition types', () => {
    expect(codes('mask = (q < k) + 1 > 0 and not q and (if 1 then true else false) and (k == true)', r)).toEqual(['E201', 'E201', 'E201', 'E201']);
  });
  it('if branches', () => expect(codes('mask = if q < k then true else 3', r)).toEqual(['E204']));
  it('mask must be bool, score numeric', () => expect(codes('mask = q - k\nscore = s > 1.0', r)).toEqual(['E202', 'E203']));
  it('indices must be int', () => expect(codes('table t: int[4] = [1, 2, 3, 4]\nmask = t[0.5] > 0', r)).toEqual(['E201']));
});

describe('indexingRule', () => {
  it('index counts', () => {
    expect(codes('input a: int[H, Nq]\ninput v: int[H, 8]\nmask = a[h] > 0 and k in v and k in v[h, 0]', [indexingRule])).toEqual(['E112', 'E112', 'E112']);
  });
});

describe('divisionRule', () => {
  it('constant zero divisors only', () => {
    expect(codes('param z = 0\nmask = k // z == 0 and k % (2 - 2) == 0 and k / 0 > 0 and k // q == 0', [divisionRule])).toEqual(['E403', 'E403', 'E403']);
  });
});

describe('tablesRule', () => {
  const r = [tablesRule];
  const readFile = memoryFiles({ 'p.json': '{"a": [[1, 2], [3, 4]], "b": [1, 2]}', 'bad.json': '{' });
  it('inline and json tables', () => {
    expect(codes('sizes L = 2, H = 2\ntable x: int[L, H] = [[1, 2], [3, -4],]\ntable y: float[L, H] = json("p.json", "a")\nmask = causal', r, { readFile })).toEqual([]);
  });
  it('shape, type and file problems', () => {
    const src = 'sizes L = 2, H = 2\ntable x: int[L, H] = [[1, 2], [3]]\ntable y: int[L, H] = [[1, 2], [3, 0.5]]\ntable z: float[L, H] = json("p.json", "b")\n' +
      'table u: float[L, H] = json("nope.json", "a")\ntable v: float[L, H] = json("bad.json", "a")\ntable w: float[L, H] = json("p.json", "c")\nmask = causal';
    expect(codes(src, r, { readFile })).toEqual(['E704', 'E705', 'E704', 'E701', 'E702', 'E703']);
  });
});

describe('inputsRule', () => {
  const r = [inputsRule];
  it('valid inputs', () => {
    expect(codes('param n = 8\ninput a: int[Nk]\ninput b: int[H, n]\ninput c: int[H, Nq] = lsh(Q, buckets = 64, seed = 1)\ninput d: int[Hkv, Nk] = lsh(K, buckets = 8)\nmask = causal', r)).toEqual([]);
  });
  it('bad dims and initialisers', () => {
    expect(codes('input a: int[0]\ninput c: int[H, Nk] = lsh(Q, buckets = 64)\ninput d: int[H, Nq] = lsh(Q, buckets = 63)\ninput e: int[H, Nq] = rnd(Q)\nmask = causal', r)).toEqual(['E801', 'E802', 'E305', 'E803']);
  });
});

describe('coverageRule', () => {
  const r = [coverageRule];
  it('exact cover with otherwise', () => expect(codes('sizes L = 4, H = 4\nmask {\n layers 0.. by 2: causal\n layers 1 heads 0..1: causal\n otherwise: sinks(1)\n}', r)).toEqual([]));
  it('overlap names the pair and both rules', () => {
    const ds = diagnose('sizes L = 2, H = 2\nmask {\n layers 0: causal\n heads 1: causal\n otherwise: causal\n}', r);
    expect(ds).toEqual([{ code: 'E501', line: 4, col: 2, message: '(layer 0, head 1) is covered by two rules' }]);
  });
  it('uncovered, out of range, empty, two otherwise, unreachable otherwise', () => {
    expect(codes('sizes L = 2, H = 2\nmask {\n layers 0: causal\n}', r)).toEqual(['E502']);
    expect(codes('sizes L = 2, H = 2\nmask {\n layers 0..5: causal\n otherwise: causal\n}', r)).toEqual(['E503']);
    expect(codes('sizes L = 2, H = 2\nmask {\n layers 1..0: causal\n otherwise: causal\n otherwise: causal\n}', r)).toEqual(['W501', 'E504']);
    expect(codes('sizes L = 1, H = 2\nmask {\n heads 0..: causal\n otherwise: causal\n}', r)).toEqual(['W502']);
  });
});

describe('requireRule and unusedRule', () => {
  it('requirements', () => expect(codes('mask = causal\nrequire coverage, reach', [requireRule])).toEqual(['E115']));
  it('unused params and lets of the compiled file', () => {
    expect(codes('param a = 1\nparam b = 2\nlet c = k < b\nlet d = k < 1\nmask = c', [unusedRule])).toEqual(['W901', 'W902']);
  });
});

describe('suggestions', () => {
  it('edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closestName('windw', ['window', 'sinks'])).toBe('window');
    expect(closestName('zzz', ['window'])).toBeUndefined();
    expect(closestName('nk', ['Nk', 'k'])).toBe('Nk');
  });
});
