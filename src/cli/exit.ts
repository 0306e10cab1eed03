// Exit codes of the attnc command (documented in `attnc --help`).
export const EXIT = {
  ok: 0,
  /** The input has error diagnostics. */
  diagnostics: 1,
  /** Bad command line: unknown option, missing file, invalid value. */
  usage: 2,
  /** A bug in attnc. */
  internal: 3,
} as const;

/** Thrown by commands for command-line mistakes; main prints the message and exits 2. */
export class UsageError extends Error {}
