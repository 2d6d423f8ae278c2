import { test } from 'node:test';
import assert from 'node:assert/strict';
import { traceSettings } from '../../worker/traces';

const rows: { name: string; env: NodeJS.ProcessEnv; want: ReturnType<typeof traceSettings> | Error }[] = [
  { name: 'nothing set: no traces', env: {}, want: undefined },
  {
    name: 'an OTLP endpoint: OTLP over HTTP',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' },
    want: { otlp: 'http://127.0.0.1:4318', serviceName: 'conveyor-worker' },
  },
  {
    name: 'the traces endpoint wins over the general one',
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/v1/traces',
    },
    want: { otlp: 'http://b:4318/v1/traces', serviceName: 'conveyor-worker' },
  },
  {
    name: 'a file, under the service name given',
    env: { CONVEYOR_TRACES_FILE: '/tmp/spans.jsonl', OTEL_SERVICE_NAME: 'conveyor-eu' },
    want: { file: '/tmp/spans.jsonl', serviceName: 'conveyor-eu' },
  },
  {
    name: 'OTEL_TRACES_EXPORTER=none turns them off',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' },
    want: undefined,
  },
  {
    name: 'an endpoint that is no URL is refused, named',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: '127.0.0.1:4318' },
    want: new Error("OTEL_EXPORTER_OTLP_ENDPOINT '127.0.0.1:4318' is not an http(s) URL (e.g. http://127.0.0.1:4318)"),
  },
];

for (const row of rows)
  test(`trace settings: ${row.name}`, () => {
    if (row.want instanceof Error) assert.throws(() => traceSettings(row.env), { message: row.want.message });
    else assert.deepEqual(traceSettings(row.env), row.want);
  });
