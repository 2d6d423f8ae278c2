// `npx tsx bench/sandbox-setup.ts`: how long the sandbox takes to set up what bench/scale.ts asks of it,
// and to answer a pipeline's reads once it holds that much. N services of 12 stages are created (the
// scenario API, in process), every app is subscribed to a webhook over HTTP as `conveyor webhooks
// install` does (four lots of 25 services at a time, as bench/scale.ts), then every pipeline is read
// once as an observation reads it (its couplings, its latest releases, each app's newest release).
// No Temporal, no worker: only the sandbox and real heroku-client calls. It only reports.
// SSL_CERT_FILE and SSL_CERT_DIR are unset unless --keep-ssl-env (bench/heroku-client-certs.ts says why).
//   npx tsx bench/sandbox-setup.ts [--pipelines 100] [--keep-ssl-env] [--json]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { installWebhooks } from '../client/webhooks';
import type { Service } from '../domain/service';
import { herokuClient } from '../activities/api-clients';
import { startSandbox } from '../sandbox/server';
import { WEBHOOK_SECRET_ENV } from '../worker/settings';
import { withoutCertificateFiles } from './heroku-client-certs';

const { values } = parseArgs({
  options: {
    pipelines: { type: 'string', default: '100' },
    'keep-ssl-env': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const PIPELINES = Number(values.pipelines);
if (!Number.isInteger(PIPELINES) || PIPELINES <= 0) {
  console.error(`bench sandbox-setup: --pipelines '${values.pipelines}' is not a positive whole number`);
  process.exit(2);
}
const STAGES = 12;
const unsetEnv = withoutCertificateFiles(values['keep-ssl-env']);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

const sandbox = await startSandbox();
sandbox.scenario.setRateLimit({ bucket: 1e12, refillPerMinute: 1e12, remaining: 1e12 });
const loadAtStart = load();
try {
  const services: Service[] = Array.from({ length: PIPELINES }, (_, i) => ({
    name: `svc${i}`,
    pipeline: `svc${i}`,
    stages: Array.from({ length: STAGES }, (_, k) => `svc${i}-s${String(k + 1).padStart(2, '0')}`),
    repo: `acme/svc${i}`,
    branch: 'main',
    minAgeMs: 10_000,
    tickMs: 60_000,
  }));

  let began = performance.now();
  for (const s of services)
    await sandbox.scenario.createService({ name: s.pipeline, repo: s.repo, stages: s.stages, branch: s.branch });
  const createS = (performance.now() - began) / 1000;

  const env = {
    ...process.env,
    HEROKU_API_URL: sandbox.herokuUrl,
    HEROKU_API_KEY: sandbox.token,
    GITHUB_API_URL: sandbox.githubUrl,
    GITHUB_TOKEN: sandbox.token,
    [WEBHOOK_SECRET_ENV]: 'bench-secret',
    CONVEYOR_HEROKU_POOL: '1000000000',
    CONVEYOR_HEROKU_REFILL_PER_MINUTE: '1000000000',
  };
  // Nothing listens there: no release is made after the subscriptions, so nothing is delivered.
  const url = 'http://127.0.0.1:9/hooks/heroku';
  const lots = Array.from({ length: Math.ceil(services.length / 25) }, (_, i) => services.slice(i * 25, i * 25 + 25));
  const problems: string[] = [];
  began = performance.now();
  await inBatches(lots, 4, async (lot) => problems.push(...(await installWebhooks(lot, url, env)).problems));
  const subscribeS = (performance.now() - began) / 1000;
  if (problems.length > 0) throw new Error(`webhooks install: ${problems.slice(0, 3).join('; ')}`);

  // One observation of every pipeline, 50 at a time: 2 + 12 requests each.
  const heroku = herokuClient(sandbox.herokuUrl, sandbox.token);
  began = performance.now();
  await inBatches(services, 50, async (s) => {
    const pipeline = (await heroku.get(`/pipelines/${s.pipeline}`)) as { id: string };
    await heroku.get(`/pipelines/${pipeline.id}/pipeline-couplings`);
    await heroku.get(`/pipelines/${pipeline.id}/latest-releases`);
    for (const app of s.stages)
      await heroku.get(`/apps/${app}/releases`, { headers: { Range: 'version ..; order=desc,max=1' }, partial: true });
  });
  const observeS = (performance.now() - began) / 1000;

  const requests = { subscribe: PIPELINES * STAGES * 2, observe: PIPELINES * (3 + STAGES) };
  const report = {
    pipelines: PIPELINES,
    apps: PIPELINES * STAGES,
    createS: Math.round(createS * 10) / 10,
    subscribeS: Math.round(subscribeS * 10) / 10,
    subscribeMsPerRequest: Math.round(((subscribeS * 1000) / requests.subscribe) * 100) / 100,
    observeS: Math.round(observeS * 10) / 10,
    observeMsPerRequest: Math.round(((observeS * 1000) / requests.observe) * 100) / 100,
    unsetEnv,
    loadAtStart,
    loadAtEnd: load(),
  };
  console.log(values.json ? JSON.stringify(report, null, 2) : report);
} finally {
  await sandbox.stop();
}
