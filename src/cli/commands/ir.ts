// attnc ir FILE [--json]: the IR as readable text, or as JSON.
import { defineCommand } from '../registry.ts';
import { addSizeOptions, compileOverrides, type SizeOptions } from '../options.ts';
import { isInternal, printDiagnostics, readSource } from '../io.ts';
import { EXIT } from '../exit.ts';

defineCommand((program) => {
  addSizeOptions(
    program
      .command('ir')
      .description('print the IR of an .attn file')
      .argument('<file>', '.attn file')
      .option('--json', 'print the IR as JSON (the schema of src/ir/schema.ts)'),
  ).action(async (file: string, opts: SizeOptions & { json?: boolean }) => {
    // the front end is loaded when the command runs: fast startup for the other commands
    const [{ compileToIr }, { formatIr }, { nodeReadFile }] = await Promise.all([import('../../api.ts'), import('../../ir/print.ts'), import('../../node.ts')]);
    const source = readSource(file);
    const { ir, diagnostics, sources } = compileToIr(source, { file, readFile: nodeReadFile, ...compileOverrides(opts) });
    printDiagnostics(diagnostics, source, file, sources);
    if (!ir) {
      process.exitCode = isInternal(diagnostics) ? EXIT.internal : EXIT.diagnostics;
      return;
    }
    process.stdout.write(opts.json ? `${JSON.stringify(ir, null, 2)}\n` : formatIr(ir));
  });
});
