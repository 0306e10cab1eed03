// A vitest suite of attention cases on one device per file (opened before, destroyed after).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuSession } from '../../../src/webgpu/device.ts';
import { openNodeGpu } from '../../../src/webgpu/node.ts';
import { armFileWatchdog, describeReport, runAttentionCase, testAdapter, type AttentionCase } from './harness.ts';

export interface NamedCase extends AttentionCase {
  name: string;
  /** The pattern must produce rows with no allowed key (checked: O = 0, LSE = -inf). */
  expectEmptyRows?: boolean;
}

/** Per case: compile and run. A cold LLVM compile takes 2-9 s on an idle 2-core lavapipe
 * machine and 10x that on a loaded one; the limits leave room for that. */
const CASE_TIMEOUT_MS = 300_000;

export function attentionSuite(file: string, title: string, cases: NamedCase[], fileLimitMs: number): void {
  armFileWatchdog(file, fileLimitMs);
  describe(title, () => {
    let session: GpuSession | undefined;
    beforeAll(async () => {
      session = await openNodeGpu({ adapter: testAdapter() });
      console.info(`${file}: adapter "${session.adapterName}" (${session.adapterKind})`);
    });
    afterAll(() => {
      session?.device.destroy();
      session = undefined;
    });
    for (const c of cases) {
      it(
        c.name,
        async () => {
          const report = await runAttentionCase(session!, c);
          const summary = describeReport(report);
          expect(report.nanO + report.nanLse, summary).toBe(0);
          expect(report.badO + report.badLse, summary).toBe(0);
          if (c.expectEmptyRows) expect(report.emptyRows, summary).toBeGreaterThan(0);
        },
        CASE_TIMEOUT_MS,
      );
    }
  });
}
