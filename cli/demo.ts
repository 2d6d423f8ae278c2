import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { temporalBinary } from '../temporal/binary';
import { loadServices } from '../config/load';
import { shortSha } from '../domain/observation';
import { workflowIdFor } from '../domain/service';
import { startSandbox } from '../sandbox/server';
import { ensureDevServer } from '../temporal/dev-server';
import { projectRoot } from '../temporal/paths';
import { temporalSettings } from '../worker/settings';
import { createWorker } from '../worker/worker';
import { startReceiver } from '../worker/receiver';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { connectClient } from '../client/connection';
import { applyServices, listPipelines } from '../client/pipelines';
import { installWebhooks, tellPipelines } from '../client/webhooks';
import { startDemoDashboard } from '../dashboard/demo';

const MERGE_EVERY_MS = 30_000;

/** The demo's pipelines on Heroku's Fir generation (OCI images); the others are on Cedar (slugs). */
const FIR_PIPELINES = new Set(['search']);

/**
 * A Temporal server already answered (another process keeps it): its demo pipelines of an earlier
 * run watch a sandbox that is gone, so they are ended and started afresh against this run's, and
 * the demo says so.
 */
async function restartStalePipelines(
  settings: ReturnType<typeof temporalSettings>,
  services: { name: string }[],
  say: (line: string) => void,
): Promise<void> {
  const client = await connectClient(settings);
  try {
    const names = new Set(services.map((s) => s.name));
    const stale = (await listPipelines(client)).map((p) => p.service).filter((name) => names.has(name));
    say(
      `reusing the Temporal server at ${settings.address} (not started by this demo)` +
        (stale.length ? `: restarting ${stale.join(', ')} from scratch against this run's sandbox` : ''),
    );
    for (const name of stale)
      await client.workflow
        .getHandle(workflowIdFor(name))
        .terminate('conveyor demo: a new run, with a new sandbox, starts it afresh');
  } finally {
    await client.connection.close();
  }
}

/**
 * `npm start`: a Temporal dev server with its Web UI, the sandbox with four example services (one on Fir),
 * a worker, the demo config applied, and a merge every ~30 s. Ctrl-C stops what it started.
 */
export async function runDemo(): Promise<void> {
  const settings = temporalSettings();
  const say = (line: string) => console.log(`[conveyor] ${line}`);

  // The demo's own lines tell the story; the SDK speaks up only when something is wrong.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  say(`Temporal dev server at ${settings.address} ...`);
  // Each demo starts clean: the sandbox lives in memory, so the dev server does too. Kept history
  // would show approvals and promotions of releases this run's sandbox never had.
  const server = await ensureDevServer({ address: settings.address, namespace: settings.namespace, dbFile: null });
  const sandbox = await startSandbox({ promotionDelayMs: 3_000, releasePhaseMs: 2_000 });
  const services = loadServices(join(projectRoot, 'examples', 'services.demo.json'));
  if (!server.started) await restartStalePipelines(settings, services, say);
  for (const service of services)
    await sandbox.scenario.createService({
      name: service.pipeline,
      repo: service.repo,
      stages: service.stages,
      branch: service.branch,
      // The generation is Heroku's, not the config's: conveyor reads it from the pipeline.
      generation: FIR_PIPELINES.has(service.pipeline) ? 'fir' : 'cedar',
    });

  const worker = await createWorker({
    ...settings,
    herokuUrl: sandbox.herokuUrl,
    herokuToken: sandbox.token,
    githubUrl: sandbox.githubUrl,
    githubToken: sandbox.token,
  });
  const running = worker.run();
  const client = await connectClient(settings);
  for (const applied of await applyServices(client, services, settings.taskQueue))
    say(`${applied.action} ${applied.workflowId}`);

  // Heroku's release webhooks, as `conveyor webhooks install` sets them up: the sandbox delivers each
  // release to a receiver here, which wakes its pipeline; the tick becomes a slow fallback poll.
  const secret = randomBytes(24).toString('hex');
  const receiver = await startReceiver({ client, secret, taskQueue: settings.taskQueue });
  const hooked = await installWebhooks(services, receiver.url, {
    HEROKU_API_KEY: sandbox.token,
    HEROKU_API_URL: sandbox.herokuUrl,
    CONVEYOR_HEROKU_WEBHOOK_SECRET: secret,
  });
  await tellPipelines(client, services, hooked.apps);

  const [first] = services;
  say('');
  say(`Web UI:   ${server.uiUrl ?? '(the reused server has its own UI)'}/namespaces/${settings.namespace}/workflows`);
  const dashboard = await startDemoDashboard({
    client,
    taskQueue: settings.taskQueue,
    sandbox,
    temporalUiUrl: server.uiUrl,
    say,
  });
  say(`Sandbox:  HEROKU_API_URL=${sandbox.herokuUrl} GITHUB_API_URL=${sandbox.githubUrl}`);
  say(
    `Webhooks: ${hooked.apps.length} stage apps deliver api:release to ${receiver.url} (each release wakes its pipeline)`,
  );
  say('Try, in another terminal:');
  say(`  npx conveyor status ${first.name}        npx conveyor why ${first.name}`);
  say(`  npx conveyor plan -f examples/services.demo.json`);
  say(`  npx conveyor pause ${first.name} --reason "testing a pause"   /   npx conveyor resume ${first.name}`);
  const temporal = relative(process.cwd(), temporalBinary()) || 'temporal';
  say(
    `  ${temporal} workflow query --address ${settings.address} --workflow-id ${workflowIdFor(first.name)} --name currentStage`,
  );
  say(
    `  ${temporal} workflow signal --address ${settings.address} --workflow-id ${workflowIdFor(first.name)} --name pause --input '{"reason":"from the CLI"}'`,
  );
  say(
    `  ${temporal} workflow signal --address ${settings.address} --workflow-id ${workflowIdFor(first.name)} --name resume`,
  );
  say('Ctrl-C stops everything.');
  say('');

  let turn = 0;
  const mergeOne = async () => {
    const service = services[turn++ % services.length];
    try {
      const merged = await sandbox.scenario.merge(service.pipeline, { message: `change #${turn}` });
      say(
        `merged ${shortSha(merged.sha)} to ${service.branch} of ${service.repo}; released on ${service.stages[0]} as v${merged.version}`,
      );
    } catch (error) {
      say(`merge failed: ${(error as Error).message}`);
    }
  };
  const firstMerge = setTimeout(mergeOne, 5_000);
  const merges = setInterval(mergeOne, MERGE_EVERY_MS);

  const seen = new Map<string, string>();
  const progress = setInterval(async () => {
    try {
      for (const p of await listPipelines(client)) {
        const line = `${p.service}: newest change at ${p.stage ?? '-'}${p.paused ? ' (paused)' : ''}`;
        if (seen.get(p.service) !== line) say(line);
        seen.set(p.service, line);
      }
    } catch {
      // The next round reports; a missed progress line is not worth stopping the demo for.
    }
  }, 5_000);

  const stop = () => worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await running;
  clearTimeout(firstMerge);
  clearInterval(merges);
  clearInterval(progress);
  say('stopping');
  await dashboard.stop();
  await receiver.stop();
  await client.connection.close();
  await sandbox.stop();
  await server.stop();
}
