// Schedules enumerate exactly the non-empty tiles with the right FULL flags (closed form or
// CSR, forward and transposed), checked against the element-wise reference; closed forms are
// found for the affine patterns; and the JSON report validates against its schema.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MaskBuilder } from './builtins.ts';
import { tileTruth } from './oracle.ts';
import { analyze, AnalysisReport, keyTilesOf, numKeyTiles, type Schedule } from '../../src/analysis/index.ts';
import { verifyClosedForm } from '../../src/analysis/closedForm.ts';

type Make = (b: MaskBuilder) => number;

const patterns: Array<[string, Make]> = [
  ['causal', (b) => b.causal()],
  ['sliding', (b) => b.and(b.causal(), b.window(70))],
  ['streaming', (b) => b.and(b.causal(), b.or(b.window(90), b.sinks(20)))],
  ['local_blocks', (b) => b.and(b.causal(), b.localBlocks(3, 32))],
  ['s2', (b) => b.and(b.causal(), b.or(b.localBlocks(4, 16), b.vstride(4, 16, 'h')))],
  ['bigbird', (b) => b.or(b.window(40, 40), b.sinks(16), b.globalQueries(16), b.random(2, 16, 7, false, true))],
  ['prefix', (b) => b.prefixLm(77)],
  ['bottom_right', (b) => b.causalBottomRight()],
];

/** Every class's schedule (and transposed schedule) against the reference tiles of each member head. */
function checkSchedules(make: Make, Nq: number, Nk: number, bq: number, bk: number): void {
  const b = new MaskBuilder();
  const ir = b.program(make(b), { Nq, Nk, H: 4 });
  const a = analyze(ir, { tile: { bq, bk }, checks: false });
  for (const cls of a.classes) {
    const { l, h } = cls.members[0]!;
    const truth = tileTruth(ir, ir.sizes, { bq, bk }, l, h);
    const { nqt, nkt } = truth;
    const expectRow = (sched: Schedule, rows: number, cols: number, at: (x: number, y: number) => number) => {
      for (let x = 0; x < rows; x++) {
        const got = keyTilesOf(sched, x);
        expect(got.length).toBe(numKeyTiles(sched, x));
        const seen = new Set<number>();
        for (const { tile, full } of got) {
          expect(seen.has(tile), `row ${x}: tile ${tile} twice`).toBe(false);
          seen.add(tile);
          const t = at(x, tile);
          expect(truth.allowed[t]! > 0, `row ${x} tile ${tile} visited but empty`).toBe(true);
          expect(full, `row ${x} tile ${tile} full flag`).toBe(truth.allowed[t] === truth.inRange[t]);
        }
        for (let y = 0; y < cols; y++) if (truth.allowed[at(x, y)]! > 0) expect(seen.has(y), `row ${x} misses tile ${y}`).toBe(true);
      }
    };
    expectRow(cls.schedule, nqt, nkt, (qt, kt) => qt * nkt + kt);
    expectRow(cls.transposed!, nkt, nqt, (kt, qt) => qt * nkt + kt);
  }
}

describe('schedules', () => {
  it('visit exactly the non-empty tiles with correct FULL flags (random sizes and tiles)', () => {
    fc.assert(fc.property(
      fc.constantFrom(...patterns), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }),
      fc.constantFrom(8, 16, 32, 64), fc.constantFrom(8, 16, 32, 64),
      ([, make], Nq, Nk, bq, bk) => { checkSchedules(make, Nq, Nk, bq, bk); },
    ), { numRuns: 120 });
  });

  it('are closed forms for the affine patterns, CSR for random blocks', () => {
    const kinds = (make: Make, N = 4096, bq = 128, bk = 64) => {
      const b = new MaskBuilder();
      const a = analyze(b.program(make(b), { Nq: N, Nk: N, H: 8 }), { tile: { bq, bk }, checks: false });
      return a.report.classes.map((c) => c.schedule.kind);
    };
    for (const name of ['causal', 'sliding', 'streaming', 'local_blocks', 's2', 'prefix']) {
      const make = patterns.find(([n]) => n === name)![1];
      expect(new Set(kinds(make)), name).toEqual(new Set(['closed_form']));
    }
    expect(new Set(kinds(patterns.find(([n]) => n === 'bigbird')![1]))).toEqual(new Set(['csr']));
  });

  it('odd first rows get a closed form of their own (streaming sinks meeting the window, prefix rows)', () => {
    const cases: Array<[string, Make, number]> = [
      ['streaming', (b) => b.and(b.causal(), b.or(b.window(2043), b.sinks(4))), 16384],
      ['prefix', (b) => b.prefixLm(1024), 16384],
      ['streaming, ragged', (b) => b.and(b.causal(), b.or(b.window(2043), b.sinks(4))), 3000],
    ];
    for (const [name, make, N] of cases) {
      const b = new MaskBuilder();
      const a = analyze(b.program(make(b), { Nq: N, Nk: N, H: 1 }), { tile: { bq: 128, bk: 64 }, checks: false });
      const s = a.classes[0]!.schedule;
      if (s.kind !== 'closed_form') throw new Error(`${name}: ${a.report.classes[0]!.schedule.fallbackReason}`);
      // pieces: the segments of each row range, and every row in exactly one range
      const ranges = [...new Set(s.segments.map((g) => JSON.stringify(g.rows)))].map((r) => JSON.parse(r) as { from: number; to: number });
      expect(ranges.length, name).toBeGreaterThan(1);
      const covered = new Int32Array(s.rows);
      for (const r of ranges) for (let x = r.from; x < r.to; x++) covered[x]!++;
      expect([...new Set(covered)], name).toEqual([1]);
      expect(verifyClosedForm(s, a.classes[0]!.classification.map), name).toBeNull();
    }
    // sizes and tiles at random: checked against the reference like every schedule
    for (const [Nq, bq, bk] of [[300, 16, 8], [257, 32, 16], [200, 8, 8]]) {
      checkSchedules((b) => b.and(b.causal(), b.or(b.window(50), b.sinks(4))), Nq!, Nq!, bq!, bk!);
      checkSchedules((b) => b.prefixLm(40), Nq!, Nq!, bq!, bk!);
    }
  });

  it('closed forms are verified: a wrong segment is caught', () => {
    const b = new MaskBuilder();
    const a = analyze(b.program(b.causal(), { Nq: 1000, Nk: 1000, H: 1 }), { tile: { bq: 64, bk: 64 }, checks: false });
    const s = a.classes[0]!.schedule;
    if (s.kind !== 'closed_form') throw new Error('expected a closed form');
    expect(verifyClosedForm(s, a.classes[0]!.classification.map)).toBeNull();
    const broken = { ...s, segments: s.segments.map((g) => ({ ...g, end: { ...g.end, add: g.end.add + 1 } })) };
    expect(verifyClosedForm(broken, a.classes[0]!.classification.map)).not.toBeNull();
    // a piece's row range is part of what is verified
    const p = new MaskBuilder();
    const pa = analyze(p.program(p.prefixLm(256), { Nq: 1000, Nk: 1000, H: 1 }), { tile: { bq: 64, bk: 64 }, checks: false });
    const ps = pa.classes[0]!.schedule;
    if (ps.kind !== 'closed_form' || !ps.segments.some((g) => g.rows)) throw new Error('expected a piecewise closed form');
    expect(verifyClosedForm(ps, pa.classes[0]!.classification.map)).toBeNull();
    const shifted = { ...ps, segments: ps.segments.map((g) => (g.rows ? { ...g, rows: { from: g.rows.from === 0 ? 0 : g.rows.from + 1, to: g.rows.to + 1 } } : g)) };
    expect(verifyClosedForm(shifted, pa.classes[0]!.classification.map)).not.toBeNull();
  });

  it('the JSON report validates against its schema and survives a JSON round trip', () => {
    const b = new MaskBuilder();
    const a = analyze(b.program(b.and(b.causal(), b.or(b.localBlocks(4), b.shard(4))), { Nq: 2048, Nk: 2048, H: 8 }), { tile: { bq: 128, bk: 64 } });
    const round = JSON.parse(JSON.stringify(a.report));
    expect(AnalysisReport.parse(round)).toEqual(round);
    expect(a.report.classes.length).toBe(4);
    expect(a.report.coverage.ok).toBe(true);
  });
});
