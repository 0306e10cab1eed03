// attnc check FILE...: print diagnostics; exit 1 when any file has errors.
import { compileToIr } from '../../api.ts';
import { nodeReadFile } from '../../node.ts';
import { hasErrors } from '../../diagnostics/diagnostic.ts';
import { defineCommand } from '../registry.ts';
import { addSizeOptions, compileOverrides, type SizeOptions } from '../options.ts';
import { isInternal, printDiagnostics, readSource } from '../io.ts';
import { EXIT } from '../exit.ts';

defineCommand((program) => {
  addSizeOptions(
    program
      .command('check')
      .description('check .attn files and print their diagnostics')
      .argument('<files...>', '.attn files'),
  ).action((files: string[], opts: SizeOptions) => {
    let code: number = EXIT.ok;
    for (const file of files) {
      const source = readSource(file);
      const { diagnostics, sources } = compileToIr(source, { file, readFile: nodeReadFile, ...compileOverrides(opts) });
      printDiagnostics(diagnostics, source, file, sources);
      if (isInternal(diagnostics)) code = EXIT.internal;
      else if (hasErrors(diagnostics) && code === EXIT.ok) code = EXIT.diagnostics;
      else if (!hasErrors(diagnostics) && files.length > 1) process.stderr.write(`${file}: ok\n`);
    }
    process.exitCode = code;
  });
});
