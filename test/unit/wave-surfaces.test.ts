import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { currentDetails, fleetSummary, rowState } from '../../domain/fleet';
import type { Observation, ReleaseFact } from '../../domain/observation';
import type { Service } from '../../domain/service';
import { explainWhy, formatStatus } from '../../client/format';
import { columnNames, fleetRow, pauseControl, serviceLive } from '../../dashboard/views';
import { PipelineState } from '../../workflows/pipeline-state';
import { release, service as chain, sha, stage } from '../support/facts';

const MIN = 60_000;
const waved: Service = {
  ...chain,
  stages: ['api-qa01', 'api-st01', 'api-va01', 'api-va02', 'api-va03', 'api-eu01'],
  waves: [['api-qa01'], ['api-st01'], ['api-va01', 'api-va02', 'api-va03'], ['api-eu01']],
};

/** The release bbb everywhere up to the wave of three, soaked on two of its apps, the third 10 minutes in. */
function twoOfThree(now: number): PipelineState {
  const running = (minutesAgo: number): ReleaseFact =>
    release('bbb', { version: 2, startedAt: new Date(now - minutesAgo * MIN).toISOString() });
  const byApp: Record<string, ReleaseFact> = {
    'api-qa01': running(90),
    'api-st01': running(60),
    'api-va01': running(40),
    'api-va02': running(35),
    'api-va03': running(10),
    'api-eu01': release('aaa'),
  };
  const observation: Observation = {
    pipelineId: 'pipeline-api',
    observedAt: new Date(now).toISOString(),
    stages: waved.stages.map((app) => stage(app, byApp[app])),
  };
  const state = new PipelineState(waved);
  state.observed(observation);
  const answers = { [`main...${sha('bbb')}`]: 'behind' as const, [`${sha('aaa')}...${sha('bbb')}`]: 'ahead' as const };
  state.decide(state.plan(now), answers, now);
  return state;
}

describe('every surface shows waves', () => {
  test('status tells each wave with its release and "2 of 3 soaked"', () => {
    const status = twoOfThree(Date.now()).status();
    assert.deepEqual(
      status.waves?.map((w) => `${w.apps.join(',')}: v${w.version} ${w.label}`),
      [
        'api-qa01: v2 1 of 1 soaked',
        'api-st01: v2 1 of 1 soaked',
        'api-va01,api-va02,api-va03: v2 2 of 3 soaked',
        'api-eu01: v1 1 of 1 soaked',
      ],
    );
  });

  test('each target of the next wave says why it waits: the wave gate, with the app still soaking', () => {
    const status = twoOfThree(Date.now()).status();
    const into = status.pairs.find((p) => p.to === 'api-eu01')!;
    assert.equal(into.from, 'api-va01');
    assert.equal(into.state, 'gated');
    const wave = into.verdicts.find((v) => v.gate === 'wave')!;
    assert.equal(wave.ok, false);
    assert.match(wave.reason, /2 of 3 soaked in the wave before, 3 of 3 needed \("all"\): api-va03 soaked at/);
    const why = explainWhy(status, 'api-eu01');
    assert.deepEqual(
      why.lines.map((l) => l.gate),
      ['wave'],
    );
    assert.match(why.lines[0].opensWith, /^time alone/);
  });

  test('conveyor status lists the waves', () => {
    const text = formatStatus(twoOfThree(Date.now()).status());
    assert.match(
      text,
      /Waves \(apps promoted together\):\n(.*\n){2} {2}3\. api-va01, api-va02, api-va03: v2 \(bbb0000\) 2 of 3 soaked/,
    );
  });

  test('the fleet summary and the Web UI details group a wave, with its state', () => {
    const status = twoOfThree(Date.now()).status();
    const fleet = fleetSummary(status);
    assert.deepEqual(fleet.waves?.[2], { apps: ['api-va01', 'api-va02', 'api-va03'], label: '2 of 3 soaked' });
    // Every app of the wave tells the release leaving it: it soaks towards the next wave.
    assert.deepEqual(
      fleet.stages.filter((c) => c.app.startsWith('api-va')).map((c) => [c.state, c.next]),
      [
        ['soaking', 'api-eu01'],
        ['soaking', 'api-eu01'],
        ['soaking', 'api-eu01'],
      ],
    );
    assert.match(currentDetails(status), /- _wave api-va01, api-va02, api-va03: 2 of 3 soaked_\n- \*\*api-va01\*\*/);
  });

  test("the dashboard shows a wave's apps in one column, headed by its state", async () => {
    const fleet = fleetSummary(twoOfThree(Date.now()).status());
    const row = { service: 'api', workflowId: 'conveyor/api', fleet, paused: false, stage: null };
    assert.deepEqual(columnNames([row]), ['qa01', 'st01', 'va01 + va02 + va03', 'eu01']);
    const html = String(
      await fleetRow(row, 4, { namespace: 'default', githubWeb: 'https://github.com' } as never, Date.now()),
    );
    assert.equal((html.match(/<td class="cell wave"/g) ?? []).length, 1);
    assert.match(html, /wave of 3: 2 of 3 soaked/);
    for (const app of ['api-va01', 'api-va02', 'api-va03'])
      assert.match(html, new RegExp(`<div class="app">${app}</div>`));
  });
});

describe("the dashboard's service page shows waves", () => {
  const links = {
    namespace: 'default',
    githubWeb: 'https://github.com',
    herokuApps: 'https://dashboard.heroku.com/apps',
  };
  const frame = { title: 'api', session: undefined, actionsEnabled: false, here: '/services/api' };
  const page = async (state: PipelineState, now: number) => {
    const status = state.status();
    const facts = { status, service: waved, goingOut: {}, leadTimes: [] };
    return String(await serviceLive(facts, fleetSummary(status).stages, null, frame, links, now));
  };

  test("groups a wave's apps in one step headed by its state, with the pair into each app", async () => {
    const now = Date.now();
    const html = await page(twoOfThree(now), now);
    const waves = html.match(/<li class="wave"[^>]*>/g) ?? [];
    assert.deepEqual(waves, ['<li class="wave" aria-label="wave of 3: api-va01, api-va02, api-va03">']);
    assert.match(html, /wave of 3: 2 of 3 soaked<\/div>\n<ol class="wave-apps">/);
    const wave = html.slice(
      html.indexOf('<ol class="wave-apps">'),
      html.indexOf('</ol>', html.indexOf('<ol class="wave-apps">')),
    );
    for (const app of ['api-va01', 'api-va02', 'api-va03']) assert.match(wave, new RegExp(`>${app}</a></h3>`));
    assert.match(html, /<li class="pair wave-pairs" aria-label="api-st01 to the wave api-va01, api-va02, api-va03">/);
    for (const app of ['api-va01', 'api-va02', 'api-va03'])
      assert.match(html, new RegExp(`<span class="into">${app}:</span>`), `the pair into ${app}`);
    assert.equal((html.match(/<li class="stage /g) ?? []).length, waved.stages.length, 'every app drawn once');
  });

  test('an app held alone has its banner and its own Resume button', async () => {
    const now = Date.now();
    const state = twoOfThree(now);
    state.holds.holdApp('api-va02', { reason: 'verification of bbb0000 in api-va02 failed', by: 'conveyor' }, now);
    const html = await page(state, now);
    assert.match(
      html,
      /<strong>api-va02 held<\/strong> by conveyor since .*: verification of bbb0000 in api-va02 failed/,
    );
    const session = { csrf: 'token', name: 'ana' };
    const control = String(await pauseControl(state.status(), { ...frame, session } as never));
    assert.match(
      control,
      /<input type="hidden" name="stage" value="api-va02"><button type="submit">Resume api-va02<\/button>/,
    );
    assert.match(control, /Pause api</, 'the pipeline itself is not paused');
  });

  test('the fleet board marks the app held alone on its own cell', async () => {
    const now = Date.now();
    const state = twoOfThree(now);
    state.holds.holdApp('api-va02', { reason: 'verification of bbb0000 in api-va02 failed', by: 'conveyor' }, now);
    const cells = fleetSummary(state.status()).stages;
    const held = cells.find((c) => c.app === 'api-va02')!;
    assert.deepEqual(
      [held.state, held.gates, held.reason],
      ['held', ['allow'], 'held until resumed: verification of bbb0000 in api-va02 failed'],
    );
    assert.equal(cells.find((c) => c.app === 'api-va01')!.state, 'soaking', 'its sibling goes on as before');
    assert.equal(rowState(fleetSummary(state.status())), 'api-va02 held until resumed', 'conveyor list says so');
    const row = {
      service: 'api',
      workflowId: 'conveyor/api',
      fleet: fleetSummary(state.status()),
      paused: false,
      stage: null,
    };
    const html = String(
      await fleetRow(row, 4, { namespace: 'default', githubWeb: 'https://github.com' } as never, now),
    );
    assert.match(html, /<div class="app">api-va02<\/div>[\s\S]*?<span class="badge held">held by allow<\/span>/);
  });
});

describe('metrics show waves', () => {
  test("a wave's soaked apps are a gauge, and a promotion into a wave counts once per target", async () => {
    const { ConveyorMetrics } = await import('../../worker/metrics');
    const metrics = new ConveyorMetrics();
    metrics.recordStatuses([twoOfThree(Date.now()).status()]);
    const interceptor = metrics.activityInterceptor()({
      info: { workflowExecution: { workflowId: 'conveyor/api', runId: 'r' }, activityType: 'promote' },
    } as never);
    const request = {
      pipelineId: 'p',
      sourceApp: 'api-st01',
      sourceAppId: 's',
      sourceReleaseId: 'r',
      artifactId: 'slug-ccc',
      targetApp: 'api-va01',
      targetAppId: 'a1',
      together: [
        { targetApp: 'api-va02', targetAppId: 'a2', targetReleaseId: null, decision: { id: 'd2', decidedAt: 0 } },
      ],
    };
    const outcome = {
      status: 'succeeded',
      promotionId: 'x',
      targetVersion: 3,
      together: { 'api-va02': { status: 'failed', promotionId: 'x', targetVersion: 3 } },
    };
    await interceptor.inbound!.execute!({ args: [request] } as never, async () => outcome);
    const text = await metrics.registry.metrics();
    assert.match(text, /conveyor_wave_apps_soaked\{service="api",wave="api-va01,api-va02,api-va03"\} 2/);
    assert.match(text, /conveyor_promotions_total\{service="api",stage="api-va01",outcome="succeeded"\} 1/);
    assert.match(text, /conveyor_promotions_total\{service="api",stage="api-va02",outcome="failed"\} 1/);
  });
});
