// `attnc mask FILE`: the element-wise mask of a pattern at small sizes, per head, drawn in the
// terminal (txt), as a PNG grid of heads, or as JSON. Sits on top of the public API and the
// reference evaluator (src/cli/maskRender.ts), both loaded only when the command runs.
import { writeFileSync } from 'node:fs';
import { EXIT, UsageError } from '../exit.ts';
import { isInternal, printDiagnostics, readSource } from '../io.ts';
import { addSizeOptions, compileOverrides, type SizeOptions } from '../options.ts';
import { defineCommand } from '../registry.ts';
import type { MaskOptions } from '../maskRender.ts';

export type { MaskOptions, MaskRendering } from '../maskRender.ts';

defineCommand((program) => {
  addSizeOptions(
    program
      .command('mask')
      .description('draw the element-wise mask of a pattern at small sizes, per head (txt, json or png)')
      .argument('<file>', 'pattern file (.attn)'),
  )
    .option('--layer <l>', 'layer to draw (default 0)')
    .option('--head <h>', 'draw one head only')
    .option('--format <fmt>', 'txt | json | png', 'txt')
    .option('--width <n>', 'txt: largest picture width and height in characters', '64')
    .option('--seed <n>', 'seed of generated runtime inputs and Q/K', '0')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (file: string, opts: SizeOptions & MaskOptions) => {
      const [{ compileToIr }, { nodeReadFile }, { hasErrors }, { renderMask }] = await Promise.all([
        import('../../api.ts'), import('../../node.ts'), import('../../diagnostics/diagnostic.ts'), import('../maskRender.ts'),
      ]);
      const source = readSource(file);
      const { ir, diagnostics, sources } = compileToIr(source, { file, readFile: nodeReadFile, ...compileOverrides(opts) });
      printDiagnostics(diagnostics, source, file, sources);
      if (isInternal(diagnostics)) { process.exitCode = EXIT.internal; return; }
      if (!ir || hasErrors(diagnostics)) { process.exitCode = EXIT.diagnostics; return; }
      const format = opts.format ?? 'txt';
      if (format === 'png' && !opts.output) throw new UsageError('--format png writes binary data: give -o FILE');
      const { content, notes } = renderMask(ir, opts);
      if (opts.output) {
        try {
          writeFileSync(opts.output, content);
        } catch {
          throw new UsageError(`cannot write '${opts.output}'`);
        }
        for (const n of notes) process.stderr.write(`note: ${n}\n`);
      } else {
        process.stdout.write(content as string);
      }
      process.exitCode = EXIT.ok;
    });
});
