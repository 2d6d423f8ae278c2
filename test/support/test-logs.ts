import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { TEST_LOG_DIR } from './test-log-dir';

/**
 * The SDK Runtime's logger in tests: warnings and errors (an activity failing on purpose, with its
 * stack) go to a file of this test process, not to the test output; scripts/test.ts names the
 * folder when a run fails, so what a failing test logged is still there to read.
 */
export function fileLogger(level: 'WARN' | 'ERROR' = 'WARN'): DefaultLogger {
  mkdirSync(TEST_LOG_DIR, { recursive: true });
  const file = join(TEST_LOG_DIR, `worker-${process.pid}.log`);
  return new DefaultLogger(level, (entry: LogEntry) => {
    const at = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
    const line = `${at} [${entry.level}] ${entry.message} ${entry.meta ? JSON.stringify(entry.meta) : ''}\n`;
    // Another run in this checkout (a test run clears the folder as it starts) must not end this one.
    mkdirSync(TEST_LOG_DIR, { recursive: true });
    appendFileSync(file, line);
  });
}
