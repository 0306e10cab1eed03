// The attnc command line: commander program, subcommands from src/cli/commands/ (one import
// line each), exit codes 0 ok / 1 diagnostics / 2 usage / 3 internal error.
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './registry.ts';
import { EXIT, UsageError } from './exit.ts';
import './commands/check.ts';
import './commands/fmt.ts';
import './commands/ir.ts';
import './commands/compile.ts';
import './commands/mask.ts';
import './commands/analyze.ts';
import './commands/playground.ts';
import './commands/run.ts';

const HELP_FOOTER = `
Examples:
  attnc check patterns/*.attn                 report errors and warnings
  attnc fmt --write my.attn                    format in place
  attnc ir my.attn --seq 8192 --heads 32       the IR as readable text
  attnc ir my.attn --json --set window=512     the IR as JSON, with a param override

Exit codes:
  0  success (warnings may have been printed)
  1  the input has errors (diagnostics printed)
  2  usage error (bad option, unreadable file)
  3  internal error (a bug in attnc; set ATTNC_DEBUG=1 for a stack trace)
`;

function fail(message: string, code: number, err?: unknown): never {
  process.stderr.write(`attnc: ${message}\n`);
  if (err instanceof Error && process.env.ATTNC_DEBUG === '1' && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(code);
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program
    .name('attnc')
    .description('Compile sparse-attention patterns (.attn) to block-sparse flash-attention kernels.')
    .version('0.1.0')
    .showHelpAfterError('(run attnc --help for usage)')
    .addHelpText('after', HELP_FOOTER)
    .exitOverride();
  for (const define of COMMANDS) define(program);
  program.commands.forEach((c) => c.exitOverride());
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') process.exit(EXIT.ok);
      process.exit(EXIT.usage);
    }
    if (e instanceof UsageError) fail(e.message, EXIT.usage);
    fail(`internal error: ${e instanceof Error ? e.message : String(e)}`, EXIT.internal, e);
  }
}

process.on('uncaughtException', (e) => fail(`internal error: ${e instanceof Error ? e.message : String(e)}`, EXIT.internal, e));
await main(process.argv);
