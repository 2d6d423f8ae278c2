import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { NativeConnection, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ensureDevServer, registerSearchAttributes, type DevServer } from '../../temporal/dev-server';
import { workflowsPath } from '../../worker/worker';

let server: Promise<DevServer> | undefined;
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/**
 * The real Temporal dev server for tests: the one `npm test` started and stops (its address is in
 * CONVEYOR_TEST_TEMPORAL_ADDRESS). Run one file with `npm test -- <part of its path>`.
 */
export function testServer(): Promise<DevServer> {
  const address = process.env.CONVEYOR_TEST_TEMPORAL_ADDRESS;
  if (!address)
    throw new Error('no test Temporal server: run tests through npm test (npm test -- <file filter> for one file)');
  server ??= ensureDevServer({ address });
  return server;
}

/** The workflow bundle, built once per test process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  return bundle;
}

const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never;

export async function connect(
  address: string,
  namespace = 'default',
): Promise<{ client: Client; native: NativeConnection; close(): Promise<void> }> {
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection, namespace }),
    native,
    close: async () => {
      await connection.close();
      await native.close();
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A namespace of its own for one test file: files run in parallel on one server, and a freeze or a
 * listing in one must not reach another's pipelines.
 */
export async function createNamespace(address: string, name: string): Promise<string> {
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.registerNamespace({
      namespace: name,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    await eventually(
      async () =>
        (await connection.workflowService.describeNamespace({ namespace: name })).namespaceInfo?.name === name,
      30_000,
      `namespace ${name}`,
    );
    await registerSearchAttributes(address, name);
    // Visibility knows the attributes once a query naming them is accepted.
    await eventually(
      async () => {
        await connection.workflowService.listWorkflowExecutions({ namespace: name, query: `ConveyorPaused = true` });
        return true;
      },
      30_000,
      `search attributes in ${name}`,
    );
    return name;
  } finally {
    await connection.close();
  }
}
