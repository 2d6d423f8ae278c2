// The worker's Prometheus endpoint, scraped by a real Prometheus (Debian's package), queried through
// its HTTP API: conveyor's metrics and the SDK's own, as a dashboard or an alert rule would see them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { projectRoot } from '../../temporal/paths';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pausePipeline } from '../../client/pipelines';
import { freePort } from '../../temporal/free-port';
import { commitsByStage, startStack, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';
import { conveyorWorker, type WorkerProcess } from '../cluster/support';
import { prometheusBinary } from './prometheus';

describe('metrics: the worker endpoint scraped by Prometheus', () => {
  let stack: Stack;
  let worker: WorkerProcess;
  let prometheus: ChildProcess | undefined;
  let api: string;
  const metricsPort = { value: 0 };

  before(async () => {
    stack = await startStack({ worker: false, promotionDelayMs: 200 });
    metricsPort.value = await freePort();
    worker = await conveyorWorker(stack.workerEnv, {
      CONVEYOR_METRICS_ADDRESS: `127.0.0.1:${metricsPort.value}`,
      CONVEYOR_METRICS_STATUS_INTERVAL: '1s',
    });
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-prometheus-'));
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: conveyor\n    static_configs:\n      - targets: ['127.0.0.1:${metricsPort.value}']\n`,
    );
    const port = await freePort();
    api = `http://127.0.0.1:${port}/api/v1`;
    prometheus = spawn(
      prometheusBinary(),
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: 'ignore' },
    );
  });
  after(async () => {
    prometheus?.kill('SIGTERM');
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await stack?.stop();
  });

  const query = async (promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const answer = (await (await fetch(`${api}/query?query=${encodeURIComponent(promql)}`)).json()) as {
      status: string;
      data: { result: never[] };
    };
    assert.equal(answer.status, 'success', promql);
    return answer.data.result;
  };
  const value = async (promql: string) => Number((await query(promql))[0]?.value[1] ?? NaN);

  test('Prometheus scrapes the endpoint without an error', async () => {
    const target = await eventually(
      async () => {
        const answer = (await (await fetch(`${api}/targets`)).json()) as {
          data: { activeTargets: { health: string; lastError: string }[] };
        };
        const [active] = answer.data.activeTargets;
        return active?.health === 'up' ? active : undefined;
      },
      60_000,
      'a healthy scrape',
    );
    assert.equal(target.lastError, '');
  });

  test('promotions by service, stage and outcome, and the time from merge to each stage', async () => {
    const service = await stack.launch('metered');
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
      60_000,
      'the roll-out',
    );
    const selector = `service="${service.name}"`;
    await eventually(
      async () => (await value(`sum(conveyor_promotions_total{${selector}})`)) === 3,
      30_000,
      'three promotions scraped',
    );
    const byStage = await query(`conveyor_promotions_total{${selector}}`);
    assert.deepEqual(
      byStage.map((r) => [r.metric.stage, r.metric.outcome, r.value[1]]).sort(),
      service.stages
        .slice(1)
        .map((stage) => [stage, 'succeeded', '1'])
        .sort(),
    );
    assert.equal(await value(`sum(conveyor_merge_to_stage_seconds_count{${selector}})`), 3);
    const slowest = await value(
      `max(conveyor_merge_to_stage_seconds_sum{${selector}} / conveyor_merge_to_stage_seconds_count{${selector}})`,
    );
    assert.ok(slowest > 0 && slowest < 120, `merge to stage took ${slowest}s`);
  });

  test("Heroku and GitHub requests by endpoint and status, and Heroku's rate-limit remaining", async () => {
    await eventually(
      async () =>
        (await value(
          `sum(conveyor_http_requests_total{api="heroku",method="GET",endpoint="/pipelines/{id}/latest-releases",status="200"})`,
        )) > 0,
      30_000,
      'Heroku observations',
    );
    assert.ok(
      (await value(
        `sum(conveyor_http_requests_total{api="heroku",method="POST",endpoint="/pipeline-promotions",status="201"})`,
      )) >= 1,
      'promotion POSTs counted',
    );
    assert.ok((await value('sum(conveyor_http_requests_total{api="github"})')) > 0, 'GitHub requests counted');
    const remaining = await value('conveyor_ratelimit_remaining{api="heroku"}');
    assert.ok(remaining > 0 && remaining <= 4500, `RateLimit-Remaining ${remaining}`);
  });

  test('blocked pipelines and pairs held by a gate, with how long', async () => {
    const paused = await stack.launch('metered-held');
    await pausePipeline(stack.client, paused.name, { reason: 'metrics test', by: 'ops' });
    await stack.sandbox.scenario.merge(paused.pipeline);
    const ghost = await stack.prepare('metered-ghost');
    await stack.start({ ...ghost, pipeline: 'no-such-pipeline' });

    await eventually(
      async () => (await value(`conveyor_pipeline_blocked_seconds{service="${ghost.name}"}`)) > 0,
      60_000,
      'the blocked pipeline',
    );
    await eventually(
      async () =>
        (await value(`conveyor_pair_held_seconds{service="${paused.name}",stage="${paused.stages[1]}",gate="allow"}`)) >
        0,
      60_000,
      'the hold by the allow gate',
    );
    assert.equal(await value(`conveyor_pipeline_paused{service="${paused.name}"}`), 1);
    assert.equal(await value(`conveyor_pipeline_blocked_seconds{service="${paused.name}"}`), 0);
  });

  test('every query of the Grafana dashboard and of the alert rules runs on Prometheus and names metrics the worker exports', async () => {
    const dashboard = JSON.parse(readFileSync(join(projectRoot, 'deploy', 'grafana', 'conveyor.json'), 'utf8')) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const rules = parse(readFileSync(join(projectRoot, 'deploy', 'prometheus', 'conveyor-alerts.yml'), 'utf8')) as {
      groups: { rules: { expr: string }[] }[];
    };
    const exprs = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)),
    ];
    assert.ok(exprs.length > 20);
    const exposition = await (await fetch(`http://127.0.0.1:${metricsPort.value}/metrics`)).text();
    const exported = new Set(
      [...exposition.matchAll(/^# TYPE (\S+) (\S+)/gm)].flatMap(([, name, type]) =>
        type === 'histogram' ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
      ),
    );
    for (const line of exposition.split('\n')) if (line && !line.startsWith('#')) exported.add(line.split(/[{ ]/)[0]);
    exported.add('up');
    for (const expr of exprs) {
      const grafana = expr.replace(/\$__rate_interval/g, '1m').replace(/\$__range/g, '5m');
      await query(grafana);
      for (const [name] of grafana.matchAll(/\b(conveyor|temporal)_[a-z_]+\b/g))
        assert.ok(exported.has(name), `${name} (in ${expr}) is exported`);
    }
  });

  test("the SDK's own metrics come through the same endpoint (Temporal's SDK dashboards work)", async () => {
    const names = (await (await fetch(`${api}/label/__name__/values`)).json()) as { data: string[] };
    const sdk = names.data.filter((n) => n.startsWith('temporal_'));
    for (const expected of [
      'temporal_workflow_task_execution_latency_bucket',
      'temporal_activity_execution_latency_bucket',
      'temporal_num_pollers',
    ]) {
      assert.ok(sdk.includes(expected), `${expected} in ${sdk.join(', ')}`);
    }
    assert.ok((await value(`sum(temporal_activity_execution_latency_count{task_queue="${stack.taskQueue}"})`)) > 0);
    // The labels the dashboard groups by.
    assert.ok(
      (await query('sum by (activity_type) (temporal_activity_execution_latency_count)')).some(
        (r) => r.metric.activity_type === 'promote',
      ),
    );
    // A pass's reads are local activities, with their own histogram.
    assert.ok(
      (await query('sum by (activity_type) (temporal_local_activity_execution_latency_count)')).some(
        (r) => r.metric.activity_type === 'observePipeline',
      ),
    );
    assert.ok((await query('sum by (poller_type) (temporal_num_pollers)')).some((r) => r.metric.poller_type));
  });
});
