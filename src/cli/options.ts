// Options shared by every command that compiles a pattern: sizes and param overrides.
import { InvalidArgumentError, type Command } from 'commander';
import type { Sizes } from '../ir/schema.ts';

export interface SizeOptions {
  seq?: number;
  kvSeq?: number;
  heads?: number;
  kvHeads?: number;
  layers?: number;
  set?: Record<string, number | boolean>;
}

function positiveInt(value: string): number {
  if (!/^[0-9][0-9_]*$/.test(value)) throw new InvalidArgumentError('expected a positive integer');
  const n = Number(value.replace(/_/g, ''));
  if (!(n > 0 && n <= 2 ** 30)) throw new InvalidArgumentError('expected an integer in 1 .. 2^30');
  return n;
}

/** `name=value` where value is an int, a float, true or false. */
export function parseSetValue(text: string): [string, number | boolean] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected name=value, got '${text}'`);
  const name = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(name)) throw new InvalidArgumentError(`'${name}' is not a param name`);
  if (raw === 'true' || raw === 'false') return [name, raw === 'true'];
  if (/^[+-]?[0-9][0-9_]*(\.[0-9][0-9_]*)?([eE][+-]?[0-9]+)?$/.test(raw)) {
    const v = Number(raw.replace(/_/g, ''));
    if (Number.isFinite(v)) return [name, v];
  }
  throw new InvalidArgumentError(`'${raw}' is not a number or true/false`);
}

function collectSet(value: string, previous: Record<string, number | boolean> = {}): Record<string, number | boolean> {
  const [name, v] = parseSetValue(value);
  return { ...previous, [name]: v };
}

/** Add --seq, --kv-seq, --heads, --kv-heads, --layers and --set to a command. */
export function addSizeOptions(cmd: Command): Command {
  return cmd
    .option('--seq <N>', 'query length Nq', positiveInt)
    .option('--kv-seq <M>', 'key length Nk', positiveInt)
    .option('--heads <H>', 'query heads H', positiveInt)
    .option('--kv-heads <K>', 'key/value heads Hkv', positiveInt)
    .option('--layers <L>', 'layers L', positiveInt)
    .option('--set <name=value>', 'override a param (repeatable)', collectSet);
}

/** The compile options (sizes, set) from parsed size options. */
export function compileOverrides(o: SizeOptions): { sizes: Partial<Sizes>; set: Record<string, number | boolean> } {
  const sizes: Partial<Sizes> = {};
  if (o.seq !== undefined) sizes.Nq = o.seq;
  if (o.kvSeq !== undefined) sizes.Nk = o.kvSeq;
  if (o.heads !== undefined) sizes.H = o.heads;
  if (o.kvHeads !== undefined) sizes.Hkv = o.kvHeads;
  if (o.layers !== undefined) sizes.L = o.layers;
  return { sizes, set: o.set ?? {} };
}
