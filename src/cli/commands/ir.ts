// attnc ir FILE [--json]: the IR as readable text, or as JSON.
import { compileToIr } from '../../api.ts';
import { formatIr } from '../../ir/print.ts';
import { nodeReadFile } from '../../node.ts';
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
  ).action((file: string, opts: SizeOptions & { json?: boolean }) => {
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
