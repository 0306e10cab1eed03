// The output tabs' contents: the IR, then CUDA, WGSL, launch metadata and the FlexAttention
// mask_mod, each emitted by codegen exactly as `attnc compile` would, one target per step so the
// worker can abandon the rest when the source changes. Skeleton files the CLI copies beside the
// emitted ones (assets) are listed too, read from the repository at build time.
import { compile, type Target } from '../../../../codegen/index.ts';
import { formatIr } from '../../../../src/ir/print.ts';
import type { OutputFile, OutputView } from '../protocol.ts';
import type { CompiledPattern } from './compile.ts';

// Skeletons and loaders the CLI copies next to the emitted files, by repository path.
const ASSET_TEXT: Record<string, string> = Object.fromEntries(
  Object.entries(
    import.meta.glob(['../../../../codegen/cuda/runtime/**/*', '../../../../codegen/cuda/python/**/*', '../../../../codegen/wgsl/runtime/*.wgsl'], {
      query: '?raw',
      import: 'default',
      eager: true,
    }) as Record<string, string>,
  ).map(([key, text]) => [key.replace(/^(\.\.\/)+/, ''), text]),
);

function textOf(contents: string | Uint8Array): string | undefined {
  return typeof contents === 'string' ? contents : undefined;
}

/**
 * The source lines quoted in generated comments: the same selection `attnc compile` makes
 * (src/cli/commands/compile.ts), so the emitted files match the CLI's byte for byte.
 */
function sourceSummary(source: string): string[] {
  return source
    .split('\n')
    .filter((l) => /^\s*(mask|score|layers|heads|otherwise)\b/.test(l))
    .slice(0, 12);
}

export function* emitOutputs(compiled: CompiledPattern): Generator<OutputView> {
  yield {
    target: 'ir',
    files: [
      { path: `${compiled.ir.name}.ir`, contents: formatIr(compiled.ir) },
      { path: `${compiled.ir.name}.ir.json`, contents: JSON.stringify(compiled.ir, null, 2) },
    ],
  };
  const metadataFiles: OutputFile[] = [];
  for (const target of ['cuda', 'wgsl', 'flex'] as Target[]) {
    const started = performance.now();
    try {
      const result = compile(compiled.ir, { target, sourceSummary: sourceSummary(compiled.source), ...compiled.codegenOptions(target) });
      const millis = performance.now() - started;
      const files: OutputFile[] = [];
      const binaries: string[] = [];
      for (const file of result.files) {
        const text = textOf(file.contents);
        if (text === undefined) binaries.push(`${file.path} (${(file.contents as Uint8Array).length} bytes)`);
        else if (!file.path.endsWith('.json')) files.push({ path: file.path, contents: text });
      }
      for (const asset of result.assets) {
        const text = ASSET_TEXT[asset.source];
        if (text !== undefined) files.push({ path: `${asset.path}  (skeleton, copied)`, contents: text });
      }
      const view: OutputView = { target: target as OutputView['target'], files, millis };
      if (binaries.length > 0) view.message = `binary tables: ${binaries.join(', ')}`;
      yield view;
      if (target !== 'flex') {
        metadataFiles.push({ path: `${target}/${compiled.ir.name}.meta.json`, contents: JSON.stringify(result.metadata, null, 2) });
        yield { target: 'metadata', files: [...metadataFiles] };
      }
    } catch (error) {
      yield { target: target as OutputView['target'], files: [], message: `codegen failed for ${target}: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}
