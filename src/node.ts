// Node-only helpers for the CLI and tests: file access for imports and JSON tables.
import { readFileSync } from 'node:fs';

/** A `readFile` for compileToIr that reads from the local file system. */
export function nodeReadFile(path: string): string {
  return readFileSync(path, 'utf8');
}
