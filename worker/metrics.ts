// conveyor's own Prometheus metrics, collected without touching workflow code:
// - what happened (promotions, rollbacks, merge-to-stage time) comes from an activity interceptor:
//   each activity runs on exactly one worker, so summing over workers counts every event once;
// - what is true now (blocked pipelines, pairs held by a gate and for how long, paused) comes from a
//   reader that asks each running pipeline's `status` query on an interval, since a state change
//   can be seen by one worker and its end by another; every worker reads the same truth, so
//   aggregate these gauges with max();
// - Heroku and GitHub requests are counted where the clients are built (activities/api-clients.ts).
import { artifactId } from '../domain/artifact';
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Client } from '@temporalio/client';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Observation } from '../domain/observation';
import type { PromotionOutcome } from '../domain/promotion';
import type { PromotionRequest } from '../domain/promotion';
import type { Api, HttpObserver } from '../activities/api-clients';
import type { PipelineStatus } from '../domain/status';

const MINUTE = 60;
const HOUR = 60 * MINUTE;

/**
 * A REST path with its identifiers replaced: /apps/api-qa01/releases/12 -> /apps/{id}/releases/{id}.
 * Heroku's and GitHub's paths alternate collection and identifier; octokit passes its route templates.
 */
export function endpointOf(path: string): string {
  const bare = path.split('?')[0];
  if (bare.includes('{')) return bare;
  const segments = bare.split('/').filter(Boolean);
  return '/' + segments.map((segment, i) => (i % 2 === 1 ? '{id}' : segment)).join('/');
}

const serviceOf = (workflowId: string) =>
  workflowId.startsWith('conveyor/') ? workflowId.slice('conveyor/'.length) : workflowId;

export class ConveyorMetrics {
  readonly registry = new Registry();

  readonly promotions = new Counter({
    name: 'conveyor_promotions_total',
    help: 'Promotions finished, by service, target stage and outcome (succeeded, failed, superseded, withdrawn)',
    labelNames: ['service', 'stage', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly rollbacks = new Counter({
    name: 'conveyor_rollbacks_total',
    help: 'Rollbacks made after a failed verification, by service and stage',
    labelNames: ['service', 'stage'] as const,
    registers: [this.registry],
  });
  readonly mergeToStage = new Histogram({
    name: 'conveyor_merge_to_stage_seconds',
    help: 'Time from a release landing on the first stage (the merge) to its promotion into each later stage',
    labelNames: ['service', 'stage'] as const,
    buckets: [
      30,
      MINUTE,
      5 * MINUTE,
      15 * MINUTE,
      30 * MINUTE,
      HOUR,
      2 * HOUR,
      4 * HOUR,
      8 * HOUR,
      24 * HOUR,
      48 * HOUR,
      7 * 24 * HOUR,
    ],
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'conveyor_http_requests_total',
    help: 'Requests to Heroku and GitHub, by API, method, endpoint and status (error: no answer)',
    labelNames: ['api', 'method', 'endpoint', 'status'] as const,
    registers: [this.registry],
  });
  readonly rateLimitRemaining = new Gauge({
    name: 'conveyor_ratelimit_remaining',
    help: 'Requests left in the rate-limit bucket, as the last answer said (Heroku RateLimit-Remaining, GitHub X-RateLimit-Remaining)',
    labelNames: ['api'] as const,
    registers: [this.registry],
  });
  readonly healthSourceCalls = new Counter({
    name: 'conveyor_health_source_calls_total',
    help: 'Asks of health sources (datadog, pagerduty, prometheus...), by source and result: the HTTP status, error (no answer), cached (answered from this pass), rate-limited (not sent)',
    labelNames: ['source', 'result'] as const,
    registers: [this.registry],
  });
  readonly blocked = new Gauge({
    name: 'conveyor_pipeline_blocked_seconds',
    help: 'How long a pipeline has been blocked (bad token, unknown app...); 0 when it is not',
    labelNames: ['service'] as const,
    registers: [this.registry],
  });
  readonly paused = new Gauge({
    name: 'conveyor_pipeline_paused',
    help: '1 when an operator paused the pipeline',
    labelNames: ['service'] as const,
    registers: [this.registry],
  });
  readonly held = new Gauge({
    name: 'conveyor_pair_held_seconds',
    help: 'How long a pair (into stage) has been held by a gate, as this worker has seen it; absent when not held',
    labelNames: ['service', 'stage', 'gate'] as const,
    registers: [this.registry],
  });
  readonly pipelines = new Gauge({
    name: 'conveyor_pipelines',
    help: 'Running pipeline workflows on this task queue',
    registers: [this.registry],
  });
  readonly statusReads = new Counter({
    name: 'conveyor_status_reads_total',
    help: 'Status queries made by the metrics reader, by result (ok, error)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'conveyor_webhook_deliveries_total',
    help: 'Heroku webhook deliveries the receiver answered, by result (signalled, duplicate, bad-signature, malformed, unknown-app, ignored, failed, too-large)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  /** Per service: artifact (slug or image) id -> when its release landed on the first stage. */
  private readonly mergedAt = new Map<string, Map<string, number>>();
  private readonly heldSince = new Map<string, number>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'conveyor_' });
  }

  http(api: Api): HttpObserver {
    return ({ method, path, status, rateLimitRemaining }) => {
      this.httpRequests.inc({ api, method: method.toUpperCase(), endpoint: endpointOf(path), status: String(status) });
      const remaining = Number(rateLimitRemaining);
      if (rateLimitRemaining != null && rateLimitRemaining !== '' && Number.isFinite(remaining))
        this.rateLimitRemaining.set({ api }, remaining);
    };
  }

  /** Records one ask of a health source. */
  healthSource(): (source: string, result: number | string) => void {
    return (source, result) => this.healthSourceCalls.inc({ source, result: String(result) });
  }

  private rememberMerges(service: string, observation: Observation): void {
    const first = observation.stages[0];
    if (!first) return;
    const known = this.mergedAt.get(service) ?? new Map<string, number>();
    this.mergedAt.set(service, known);
    for (const release of [first.latest, first.current, ...(first.recent ?? [])]) {
      const id = artifactId(release);
      if (release && id && !known.has(id)) known.set(id, Date.parse(release.createdAt));
    }
    while (known.size > 200) known.delete(known.keys().next().value!);
  }

  private promoted(service: string, request: PromotionRequest, outcome: PromotionOutcome): void {
    this.promotions.inc({ service, stage: request.targetApp, outcome: outcome.status });
    const merged = this.mergedAt.get(service)?.get(request.artifactId);
    if (outcome.status === 'succeeded' && merged !== undefined && Number.isFinite(merged)) {
      this.mergeToStage.observe({ service, stage: request.targetApp }, Math.max(0, (Date.now() - merged) / 1000));
    }
  }

  /** The activity interceptor: reads the activities' inputs and results, changes nothing. */
  activityInterceptor(): ActivityInterceptorsFactory {
    return (ctx) => ({
      inbound: {
        execute: async (input, next) => {
          const result = await next(input);
          try {
            const service = serviceOf(ctx.info.workflowExecution?.workflowId ?? '');
            const name = ctx.info.activityType;
            if (name === 'observePipeline') this.rememberMerges(service, result as Observation);
            else if (name === 'promote')
              this.promoted(service, input.args[0] as PromotionRequest, result as PromotionOutcome);
            else if (name === 'rollback')
              this.rollbacks.inc({ service, stage: (input.args[0] as { app: string }).app });
          } catch {
            // Metrics never fail an activity.
          }
          return result;
        },
      },
    });
  }

  /** Sets the state gauges from the pipelines' answers to `status`. */
  recordStatuses(statuses: PipelineStatus[], now = Date.now()): void {
    this.pipelines.set(statuses.length);
    this.blocked.reset();
    this.paused.reset();
    this.held.reset();
    const seen = new Set<string>();
    for (const status of statuses) {
      const service = status.service;
      this.blocked.set({ service }, status.blocked ? Math.max(0, (now - Date.parse(status.blocked.since)) / 1000) : 0);
      this.paused.set({ service }, status.paused ? 1 : 0);
      for (const pair of status.pairs) {
        if (pair.state === 'in-sync' || pair.state === 'promoting') continue;
        for (const verdict of pair.verdicts) {
          if (verdict.ok) continue;
          const key = JSON.stringify([service, pair.to, verdict.gate]);
          seen.add(key);
          const since = this.heldSince.get(key) ?? now;
          this.heldSince.set(key, since);
          this.held.set({ service, stage: pair.to, gate: verdict.gate }, (now - since) / 1000);
        }
      }
    }
    for (const key of this.heldSince.keys()) if (!seen.has(key)) this.heldSince.delete(key);
  }

  /** Reads every running pipeline's status on this task queue now (a few at a time). */
  async readStatuses(client: Client, taskQueue: string): Promise<void> {
    const { statusQuery } = await import('../workflows/messages');
    const ids: string[] = [];
    const query = `WorkflowType = 'pipeline' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replace(/'/g, "\\'")}'`;
    for await (const execution of client.workflow.list({ query })) ids.push(execution.workflowId);
    const statuses: PipelineStatus[] = [];
    for (let i = 0; i < ids.length; i += 8) {
      const batch = await Promise.allSettled(
        ids.slice(i, i + 8).map((id) => client.workflow.getHandle(id).query(statusQuery)),
      );
      for (const answer of batch) {
        this.statusReads.inc({ result: answer.status === 'fulfilled' ? 'ok' : 'error' });
        if (answer.status === 'fulfilled') statuses.push(answer.value);
      }
    }
    this.recordStatuses(statuses);
  }

  /** Reads statuses every `intervalMs` until stopped; a failing read is counted and retried next time. */
  startStatusReader(client: Client, taskQueue: string, intervalMs: number): () => void {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      try {
        await this.readStatuses(client, taskQueue);
      } catch {
        this.statusReads.inc({ result: 'error' });
      }
      if (!stopped) timer = setTimeout(tick, intervalMs).unref();
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }
}

/**
 * The worker's /metrics endpoint: conveyor's metrics followed by the SDK's (Core's own Prometheus
 * exporter, bound to a loopback port and read through), so Temporal's SDK dashboards work unchanged.
 */
export async function serveMetrics(
  address: string,
  metrics: ConveyorMetrics,
  sdkMetricsUrl?: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at) || '0.0.0.0';
  const port = Number(address.slice(at + 1));
  const server: Server = createServer(async (request, response) => {
    if (request.method !== 'GET' || !request.url?.startsWith('/metrics')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('see /metrics\n');
      return;
    }
    try {
      let sdk = '';
      if (sdkMetricsUrl) {
        const answer = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
        if (answer?.ok) sdk = await answer.text();
      }
      const own = await metrics.registry.metrics();
      response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(`${own}\n${sdk}`);
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host.replace(/^\[|\]$/g, ''), () => resolve());
  });
  const bound = server.address() as { port: number };
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
