// Which pipeline workflow runs a Heroku app: read from Temporal, not from a file, so the receiver
// knows every pipeline `conveyor apply` started. One visibility call (each workflow's memo `fleet`
// names its stage apps) answers the whole fleet; a pipeline without the memo yet is asked `status`.
import type { Client } from '@temporalio/client';
import type { FleetSummary } from '../domain/fleet';
import { statusQuery } from '../workflows/messages';

export interface AppRef {
  id?: string;
  name?: string;
}

export interface AppDirectoryOptions {
  /** Only pipelines on this task queue (the worker's). */
  taskQueue?: string;
  /** How long a read of the fleet is trusted (30 s). */
  maxAgeMs?: number;
  /** At least this long between reads that an unknown app forces (2 s): unknown apps cannot make it hammer Temporal. */
  minGapMs?: number;
}

const stagesOfMemo = (memo: unknown): string[] | undefined => {
  const stages = (memo as FleetSummary | undefined)?.stages;
  return Array.isArray(stages) ? stages.map((cell) => cell?.app).filter((app) => typeof app === 'string') : undefined;
};

export class AppDirectory {
  private byName = new Map<string, string>();
  /** App ids learned from deliveries that carried both id and name (Heroku's do). */
  private readonly idToName = new Map<string, string>();
  private readAt = 0;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly client: Client,
    private readonly options: AppDirectoryOptions = {},
  ) {}

  /** The workflow id running `app`, or undefined when no running pipeline has it as a stage. */
  async workflowFor(app: AppRef, now = Date.now()): Promise<string | undefined> {
    if (app.id && app.name) {
      this.idToName.set(app.id, app.name);
      while (this.idToName.size > 10_000) this.idToName.delete(this.idToName.keys().next().value!);
    }
    const name = app.name ?? (app.id ? this.idToName.get(app.id) : undefined);
    const fresh = now - this.readAt < (this.options.maxAgeMs ?? 30_000);
    if (!fresh) await this.refresh();
    let found = name ? this.byName.get(name) : undefined;
    if (!found && now - this.readAt >= (this.options.minGapMs ?? 2_000)) {
      await this.refresh();
      found = name ? this.byName.get(name) : undefined;
    }
    return found;
  }

  /** Every running pipeline and its stage apps, as last read. */
  pipelines(): Map<string, string[]> {
    const byWorkflow = new Map<string, string[]>();
    for (const [app, workflowId] of this.byName)
      byWorkflow.set(workflowId, [...(byWorkflow.get(workflowId) ?? []), app]);
    return byWorkflow;
  }

  /** Forgets what it read, e.g. after a signal found the workflow gone. */
  invalidate(): void {
    this.readAt = 0;
  }

  refresh(): Promise<void> {
    this.reading ??= this.read().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(): Promise<void> {
    const queue = this.options.taskQueue;
    const query =
      `WorkflowType = 'pipeline' AND ExecutionStatus = 'Running'` +
      (queue ? ` AND TaskQueue = '${queue.replace(/'/g, "\\'")}'` : '');
    const next = new Map<string, string>();
    const unnamed: string[] = [];
    await this.client.connection.withDeadline(Date.now() + 10_000, async () => {
      for await (const info of this.client.workflow.list({ query, pageSize: 1000 })) {
        const apps = stagesOfMemo(info.memo?.fleet);
        if (apps) for (const app of apps) next.set(app, info.workflowId);
        else unnamed.push(info.workflowId);
      }
    });
    for (let i = 0; i < unnamed.length; i += 8) {
      const answers = await Promise.allSettled(
        unnamed.slice(i, i + 8).map(async (id) => ({
          id,
          status: await this.client.workflow.getHandle(id).query(statusQuery),
        })),
      );
      for (const answer of answers)
        if (answer.status === 'fulfilled')
          for (const stage of answer.value.status.stages) next.set(stage.stage, answer.value.id);
    }
    this.byName = next;
    this.readAt = Date.now();
  }
}
