import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../temporal/paths';
import type { Cluster } from '../../temporal/cluster';
import type { DevServer } from '../../temporal/dev-server';
import type { Stack } from '../support/stack';

/** The cluster as the test stack's `server` (it never stops the cluster: the file does). */
export function asServer(cluster: Cluster): DevServer {
  return { address: cluster.address, namespace: cluster.namespace, started: false, stop: async () => undefined };
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** Every JSON log line the worker wrote to stdout so far. */
  lines: Record<string, unknown>[];
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string>;
  /** Waits for a log line matching `match`. */
  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** `conveyor worker`, the real CLI, in its own process; resolves once it logged "worker running". */
export async function conveyorWorker(env: NodeJS.ProcessEnv, extra: NodeJS.ProcessEnv = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'conveyor.js'), 'worker'], {
    env: { ...env, CONVEYOR_LOG_LEVEL: 'info', ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: {
    match: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text);
    } catch {
      line = { nonJson: text };
    }
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const worker: WorkerProcess = {
    child,
    pid: child.pid!,
    lines,
    exited,
    waitFor(match, timeoutMs = 60_000) {
      const found = lines.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no matching log line from worker ${child.pid} in ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({ match, resolve: (line) => (clearTimeout(timer), resolve(line)) });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(
            new Error(`worker ${child.pid} exited (${code}) before the line came; stderr: ${stderr.slice(-2000)}`),
          );
        });
      });
    },
  };
  await worker.waitFor((line) => line.msg === 'worker running', 120_000);
  return worker;
}

/** Promotions the sandbox received into `stage`. */
export function promotionsInto(stack: Stack, stage: string) {
  return stack.sandbox.scenario.promotions().filter((p) => p.targets.some((t) => t.app === stage));
}

/** The identity of the worker running the pipeline's pending activity (`pid@host`), if any. */
export async function pendingActivityWorker(
  stack: Stack,
  workflowId: string,
  activityType: string,
): Promise<string | undefined> {
  const description = await stack.client.workflowService.describeWorkflowExecution({
    namespace: stack.namespace,
    execution: { workflowId },
  });
  const pending = description.pendingActivities?.find(
    (a) => a.activityType?.name === activityType && a.lastWorkerIdentity,
  );
  return pending?.lastWorkerIdentity ?? undefined;
}
