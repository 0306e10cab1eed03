// attnc check FILE...: print diagnostics; exit 1 when any file has errors.
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
  ).action(async (files: string[], opts: SizeOptions) => {
    // the front end is loaded when the command runs: the other commands start without it
    const [{ compileToIr }, { nodeReadFile }, { hasErrors }] = await Promise.all([
      import('../../api.ts'), import('../../node.ts'), import('../../diagnostics/diagnostic.ts'),
    ]);
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
