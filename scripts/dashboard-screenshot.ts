// Makes the README's picture of the fleet view from the demo's three services: its own dev server,
// sandbox and worker on free loopback ports, a few merges and a pause, then headless chromium.
//   npx tsx scripts/dashboard-screenshot.ts [out.png]     (default dashboard/fleet.png)
import { dirname, join, resolve } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadServices } from '../config/load';
import { pause } from '../dashboard/actions';
import { startDashboard } from '../dashboard/server';
import { startSandbox } from '../sandbox/server';
import { ensureDevServer } from '../temporal/dev-server';
import { freePort } from '../temporal/free-port';
import { projectRoot } from '../temporal/paths';
import { ConveyorPaused, ConveyorService, ConveyorStage } from '../temporal/search-attributes';
import { launchChromium } from '../test/support/browser';
import { connect } from '../test/support/temporal';
import { writableFolder } from '../client/files';
import { apiClients } from '../activities/api-clients';
import { createWorker } from '../worker/worker';

const out = process.argv[2] ?? join(projectRoot, 'dashboard', 'fleet.png');
// The folder is made (or refused) before the stack starts, not after a minute of work.
try {
  writableFolder(dirname(resolve(out)), 'dashboard-screenshot');
} catch (error) {
  console.error(`[screenshot] ${(error as Error).message}`);
  process.exit(2);
}
/** 1400 px for the README; CONVEYOR_SHOT_WIDTH=1280 shows a laptop's view. */
const width = Number(process.env.CONVEYOR_SHOT_WIDTH) || 1400;
const say = (line: string) => console.error(`[screenshot] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Runtime.install({ logger: new DefaultLogger('WARN') });
const server = await ensureDevServer({ address: `127.0.0.1:${await freePort()}`, headless: true, dbFile: null });
const sandbox = await startSandbox({ promotionDelayMs: 4_000, releasePhaseMs: 1_000 });
const services = loadServices(join(projectRoot, 'examples', 'services.demo.json'));
for (const s of services)
  await sandbox.scenario.createService({ name: s.pipeline, repo: s.repo, stages: s.stages, branch: s.branch });
const taskQueue = 'conveyor-screenshot';
const worker = await createWorker({
  address: server.address,
  namespace: server.namespace,
  taskQueue,
  herokuUrl: sandbox.herokuUrl,
  herokuToken: sandbox.token,
  githubUrl: sandbox.githubUrl,
  githubToken: sandbox.token,
});
const running = worker.run();
const { client, close } = await connect(server.address, server.namespace);
const dashboard = await startDashboard({
  client,
  taskQueue,
  token: 'screenshot',
  github: apiClients({ herokuUrl: '', herokuToken: '', githubUrl: sandbox.githubUrl, githubToken: sandbox.token })
    .github,
  temporalUiUrl: 'http://127.0.0.1:8233',
  log: say,
});
try {
  await client.workflow.start('control', { workflowId: 'conveyor/control', taskQueue, args: [{}] });
  for (const service of services) {
    await client.workflow.start('pipeline', {
      workflowId: `conveyor/${service.name}`,
      taskQueue,
      args: [{ service }],
      typedSearchAttributes: [
        { key: ConveyorService, value: service.name },
        { key: ConveyorPaused, value: false },
        { key: ConveyorStage, value: service.stages[0] },
      ],
    });
  }
  const merge = async (name: string, message: string) => {
    const merged = await sandbox.scenario.merge(name, { message });
    say(`merged ${merged.sha.slice(0, 7)} into ${name}: ${message}`);
  };
  // A first round of changes travels the pipelines; a second one follows it, so several releases
  // are on their way at once; router is paused by a person on the way.
  await merge('api', 'Add request tracing to the checkout path');
  await merge('router', 'Retry idle upstream connections once');
  await merge('billing', 'Invoice PDFs in the customer locale');
  await sleep(48_000);
  await merge('api', 'Cache price lookups for 30 s');
  await merge('billing', 'Bump stripe-node to 17.4');
  await pause(client, 'router', { reason: 'db migration on router-eu01', by: 'ana' });
  await sleep(14_000);
  await merge('api', 'Fix a typo in the 404 page');
  await sleep(6_000);

  const { context, close: closeBrowser } = await launchChromium({ width, height: 600 });
  try {
    const page = await context.newPage();
    await page.goto(`${dashboard.url}/`);
    await page.waitForSelector('#fleet tbody tr');
    const box = await page.locator('main').boundingBox();
    const height = Math.ceil((box?.y ?? 0) + (box?.height ?? 600)) + 8;
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: out });
    say(`wrote ${out} (${width} x ${height})`);
    // CONVEYOR_SHOT_SERVICE=api also pictures that service's view (to look at, not for the README).
    const service = process.env.CONVEYOR_SHOT_SERVICE;
    if (service) {
      await page.setViewportSize({ width, height: 800 });
      await page.goto(`${dashboard.url}/login?next=/services/${service}`);
      await page.getByLabel('Your name').fill('ana');
      await page.getByLabel('Token').fill('screenshot');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${dashboard.url}/services/${service}`);
      await page.screenshot({ path: out.replace(/\.png$/, `-${service}.png`), fullPage: true });
      await page.goto(`${dashboard.url}/services/${service}/promote?to=${service}-st01`);
      await page.screenshot({ path: out.replace(/\.png$/, `-${service}-promote.png`), fullPage: true });
    }
  } finally {
    await closeBrowser();
  }
} finally {
  await dashboard.stop();
  await Promise.all(
    services.map((s) =>
      client.workflow
        .getHandle(`conveyor/${s.name}`)
        .terminate('screenshot taken')
        .catch(() => undefined),
    ),
  );
  await client.workflow
    .getHandle('conveyor/control')
    .terminate('screenshot taken')
    .catch(() => undefined);
  worker.shutdown();
  await running;
  await close();
  await sandbox.stop();
  await server.stop();
}
