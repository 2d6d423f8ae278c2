// The worker pushes the SDK's metrics to an OpenTelemetry collector (OTLP over HTTP) when one is
// named: here a plain HTTP endpoint that keeps what arrives, as a collector's OTLP/HTTP receiver would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../../temporal/paths';
import { otelMetrics } from '../../worker/telemetry';
import { startStack, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';

interface Push {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

describe('metrics pushed to an OpenTelemetry collector', () => {
  let stack: Stack;
  let collector: Server;
  let worker: ChildProcess | undefined;
  let output = '';
  const pushes: Push[] = [];
  before(async () => {
    stack = await startStack({ worker: false });
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        pushes.push({ method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    worker?.kill('SIGKILL');
    collector?.close();
    await stack?.stop();
  });

  test("the worker's SDK metrics arrive by OTLP/HTTP with the configured headers", async () => {
    const port = (collector.address() as AddressInfo).port;
    worker = spawn(process.execPath, [join(projectRoot, 'bin', 'conveyor.js'), 'worker'], {
      env: {
        ...stack.workerEnv,
        CONVEYOR_OTEL_METRICS_URL: `http://127.0.0.1:${port}/v1/metrics`,
        CONVEYOR_OTEL_METRICS_HEADERS: 'authorization=Bearer%20collector-key',
        CONVEYOR_OTEL_METRICS_INTERVAL: '1s',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (c) => (output += c));
    worker.stderr!.on('data', (c) => (output += c));
    const push = await eventually(
      () => pushes.find((p) => p.body.includes('temporal_')),
      60_000,
      `a push naming Temporal's metrics (worker said:\n${output})`,
    );
    assert.equal(push.method, 'POST');
    assert.equal(push.path, '/v1/metrics');
    assert.equal(push.headers.authorization, 'Bearer collector-key');
    assert.match(String(push.headers['content-type']), /protobuf/);
    await eventually(() => /"msg":"worker running"/.test(output), 30_000, 'the worker running line');
    assert.match(output, /"otelMetrics":"http:\/\/127\.0\.0\.1:\d+\/v1\/metrics"/);
    assert.doesNotMatch(output, /collector-key/, 'the header is not logged');
  });

  test('the settings: protocol from the URL, headers as OTEL_EXPORTER_OTLP_HEADERS, a bad one in one line', () => {
    assert.equal(otelMetrics({}), undefined);
    assert.deepEqual(otelMetrics({ CONVEYOR_OTEL_METRICS_URL: 'http://collector:4317' }), {
      url: 'http://collector:4317',
      http: false,
      headers: {},
      intervalMs: 60_000,
    });
    assert.equal(otelMetrics({ CONVEYOR_OTEL_METRICS_URL: 'https://otlp.example.com/v1/metrics' })!.http, true);
    assert.throws(() => otelMetrics({ CONVEYOR_OTEL_METRICS_URL: 'collector:4317' }), /is not a collector URL/);
    assert.throws(
      () => otelMetrics({ CONVEYOR_OTEL_METRICS_URL: 'http://c:4317', CONVEYOR_OTEL_METRICS_HEADERS: 'novalue' }),
      /each header is name=value/,
    );
  });
});
