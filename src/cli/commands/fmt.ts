// attnc fmt [--write|--check] FILE: print (or rewrite) the canonical formatting.
import { writeFileSync } from 'node:fs';
import { defineCommand } from '../registry.ts';
import { isInternal, printDiagnostics, readSource } from '../io.ts';
import { EXIT } from '../exit.ts';

defineCommand((program) => {
  program
    .command('fmt')
    .description('format an .attn file (to stdout unless --write)')
    .argument('<file>', '.attn file')
    .option('-w, --write', 'rewrite the file in place')
    .option('--check', 'exit 1 if the file is not formatted')
    .action(async (file: string, opts: { write?: boolean; check?: boolean }) => {
      const { formatSource } = await import('../../api.ts'); // loaded when the command runs: fast startup
      const source = readSource(file);
      const { text, diagnostics } = formatSource(source, { file });
      printDiagnostics(diagnostics, source, file);
      if (text === null) {
        process.exitCode = isInternal(diagnostics) ? EXIT.internal : EXIT.diagnostics;
        return;
      }
      if (opts.check) {
        if (text !== source) {
          process.stderr.write(`${file}: not formatted\n`);
          process.exitCode = EXIT.diagnostics;
        }
        return;
      }
      if (opts.write) {
        if (text !== source) writeFileSync(file, text);
      } else process.stdout.write(text);
    });
});
