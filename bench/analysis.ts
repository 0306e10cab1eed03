// Benchmark of the analysis (not a unit test): 131,072 x 131,072 tokens, 32 heads, 128 x 128
// tiles, for causal, sliding window, S2 and BigBird from patterns/. Reports wall and CPU time
// of `analyze` (classification, schedules, transposed schedules, coverage and reachability),
// best and median of several runs after a warm-up, and the machine's load average.
// Run: npx tsx bench/analysis.ts [--runs 5] [--seq 131072] [--heads 32] [--tile 128x128] [--only s2_attention,bigbird]
import { readFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { compileToIr } from '../src/api.ts';
import { nodeReadFile } from '../src/node.ts';
import { analyze } from '../src/analysis/index.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const runs = Number(arg('runs', '5'));
const N = Number(arg('seq', '131072'));
const H = Number(arg('heads', '32'));
const [bq, bk] = arg('tile', '128x128').split('x').map(Number) as [number, number];
const only = arg('only', '');

const patterns = ['causal', 'sliding_window', 's2_attention', 'bigbird'].filter((p) => !only || only.split(',').includes(p));
const dir = fileURLToPath(new URL('../patterns/', import.meta.url));

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

console.log(`analysis benchmark: Nq = Nk = ${N}, H = ${H}, tiles ${bq}x${bk}, ${runs} runs after a warm-up`);
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('pattern          classes  wall best  wall median  cpu best  cpu median   classify  schedules  checks');
for (const name of patterns) {
  const path = `${dir}${name}.attn`;
  const { ir } = compileToIr(readFileSync(path, 'utf8'), { file: path, readFile: nodeReadFile, sizes: { Nq: N, Nk: N, H } });
  if (!ir) throw new Error(`${name} does not compile`);
  analyze(ir, { tile: { bq, bk } }); // warm-up (JIT)
  const wall: number[] = [], cpu: number[] = [];
  let last = analyze(ir, { tile: { bq, bk } }).report;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    last = analyze(ir, { tile: { bq, bk } }).report;
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const t = last.timing;
  console.log(
    `${name.padEnd(16)} ${String(last.classes.length).padStart(7)}  ${Math.min(...wall).toFixed(1).padStart(9)}  ${median(wall).toFixed(1).padStart(11)}` +
    `  ${Math.min(...cpu).toFixed(1).padStart(8)}  ${median(cpu).toFixed(1).padStart(10)}   ${t.classifyMs.toFixed(1).padStart(8)}  ${t.schedulesMs.toFixed(1).padStart(9)}  ${t.checksMs.toFixed(1).padStart(6)}`,
  );
}
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
