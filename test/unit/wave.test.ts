import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appsNeeded, parseWaveRule, waveProblems, waveRuleProblem, type WaveRule } from '../../domain/wave';
import { groupPromotions, waveSoak, type WaveSoak } from '../../domain/wave-plan';
import { waveGate } from '../../domain/gates/wave';
import { ageGate } from '../../domain/gates/age';
import { planPairs } from '../../domain/plan';
import { pairsOf, waveBefore, wavesOf, type Service } from '../../domain/service';
import { checkService } from '../../domain/service-schema';
import { parseServices, ConfigError } from '../../config/load';
import type { Observation, ReleaseFact } from '../../domain/observation';
import type { Candidate, GateContext } from '../../domain/gates';
import { release, service as chain, sha, stage, T0 } from '../support/facts';

const MIN = 60_000;
const waved: Service = {
  ...chain,
  stages: ['api-qa01', 'api-st01', 'api-va01', 'api-va02', 'api-va03', 'api-eu01', 'api-eu02'],
  waves: [['api-qa01'], ['api-st01'], ['api-va01', 'api-va02', 'api-va03'], ['api-eu01', 'api-eu02']],
};
const at = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();
/** A release named by its commit that started running `minutes` after T0. */
const running = (commit: string, minutes = 0, version = 1): ReleaseFact =>
  release(commit, { version, id: `release-${commit}-${version}`, startedAt: at(minutes) });

function observeWaves(byApp: Record<string, ReleaseFact | null>): Observation {
  return {
    pipelineId: 'pipeline-api',
    observedAt: at(0),
    stages: waved.stages.map((app) => stage(app, byApp[app] ?? null)),
  };
}

describe('wave rule', () => {
  const rows: { text: string; rule: WaveRule | undefined }[] = [
    { text: 'all', rule: { kind: 'all' } },
    { text: 'ANY', rule: { kind: 'any' } },
    { text: '2 of 3', rule: { kind: 'share', n: 2, m: 3 } },
    { text: '4 of 3', rule: undefined },
    { text: '0 of 3', rule: undefined },
    { text: 'most', rule: undefined },
  ];
  for (const { text, rule } of rows)
    test(`"${text}" reads as ${rule ? rule.kind : 'nothing'}`, () => assert.deepEqual(parseWaveRule(text), rule));

  test('no rule written is "all"', () => assert.deepEqual(parseWaveRule(undefined), { kind: 'all' }));

  const problems: { text: string; problem: string | undefined }[] = [
    { text: '2 of 3', problem: undefined },
    { text: '4 of 3', problem: '"4 of 3" asks for more apps than it counts: N must be at most M' },
    { text: '0 of 3', problem: '"0 of 3" asks for no app at all: N must be at least 1' },
    { text: 'most', problem: 'must be "all", "any" or "N of M" such as "2 of 3", not "most"' },
  ];
  for (const { text, problem } of problems)
    test(`"${text}" is ${problem ? 'refused, saying why' : 'accepted'}`, () =>
      assert.equal(waveRuleProblem(text), problem));

  const needed: { rule: WaveRule; size: number; apps: number }[] = [
    { rule: { kind: 'all' }, size: 8, apps: 8 },
    { rule: { kind: 'any' }, size: 8, apps: 1 },
    { rule: { kind: 'share', n: 2, m: 3 }, size: 3, apps: 2 },
    { rule: { kind: 'share', n: 1, m: 2 }, size: 3, apps: 2 },
    { rule: { kind: 'share', n: 1, m: 10 }, size: 2, apps: 1 },
    { rule: { kind: 'all' }, size: 0, apps: 0 },
  ];
  for (const { rule, size, apps } of needed)
    test(`${rule.kind === 'share' ? `${rule.n} of ${rule.m}` : rule.kind} of a wave of ${size} needs ${apps}`, () =>
      assert.equal(appsNeeded(rule, size), apps));
});

describe('wave validation', () => {
  const rows: { name: string; stages: (string | string[])[]; problems: string[] }[] = [
    { name: 'a chain', stages: ['a-qa', 'a-st'], problems: [] },
    { name: 'waves after one first app', stages: ['a-qa', ['a-va', 'a-vb'], ['a-eu']], problems: [] },
    { name: 'a first stage written as a wave of one', stages: [['a-qa'], 'a-st'], problems: [] },
    {
      name: 'an empty wave',
      stages: ['a-qa', [], 'a-st'],
      problems: ['[1] an empty wave: a wave needs at least one app'],
    },
    {
      name: 'an app twice',
      stages: ['a-qa', ['a-va', 'a-qa']],
      problems: ['[1,1] "a-qa" is named twice (already at stages[0])'],
    },
    {
      name: 'a first stage that is a wave',
      stages: [['a-qa', 'a-qb'], 'a-st'],
      problems: ['[0] the first stage must be one app, where merges land, not a wave of 2 (a-qa, a-qb)'],
    },
  ];
  for (const row of rows)
    test(`${row.name}: ${row.problems.length ? 'refused' : 'accepted'}`, () =>
      assert.deepEqual(
        waveProblems(row.stages).map((p) => `[${p.path.join(',')}] ${p.message}`),
        row.problems,
      ));

  const file = (stages: unknown, extra: object = {}) =>
    JSON.stringify({ services: [{ name: 'api', pipeline: 'api', repo: 'acme/api', stages, ...extra }] });
  const refusal = (text: string): string[] => {
    try {
      parseServices(text);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.problems;
    }
    return assert.fail('expected the file to be refused');
  };

  test('the services file takes a wave and keeps a plain name a wave of one', () => {
    const [service] = parseServices(
      file(['api-qa01', 'api-st01', ['api-va01', 'api-va02'], ['api-eu01']], { waves: '1 of 2' }),
    );
    assert.deepEqual(service.stages, ['api-qa01', 'api-st01', 'api-va01', 'api-va02', 'api-eu01']);
    assert.deepEqual(service.waves, [['api-qa01'], ['api-st01'], ['api-va01', 'api-va02'], ['api-eu01']]);
    assert.equal(service.waveRule, '1 of 2');
  });

  test("today's files keep their meaning: a chain carries no waves", () => {
    const [service] = parseServices(file(['api-qa01', 'api-st01']));
    assert.deepEqual(
      [service.stages, service.waves, service.waveRule],
      [['api-qa01', 'api-st01'], undefined, undefined],
    );
  });

  test('every wave problem of a file is one line naming where', () => {
    assert.deepEqual(refusal(file([['api-qa01', 'api-qb01'], [], ['api-va01', 'api-qa01']], { waves: 'most' })), [
      'services[0].stages[0]: the first stage must be one app, where merges land, not a wave of 2 (api-qa01, api-qb01)',
      'services[0].stages[1]: an empty wave: a wave needs at least one app',
      'services[0].stages[2][1]: "api-qa01" is named twice (already at stages[0][0])',
      'services[0].waves: must be "all", "any" or "N of M" such as "2 of 3", not "most"',
    ]);
  });

  test('an app of one service in a wave of another is named with its place in the wave', () => {
    const services = [
      { name: 'api', pipeline: 'api', repo: 'acme/api', stages: ['api-qa01', 'api-st01'] },
      { name: 'web', pipeline: 'web', repo: 'acme/web', stages: ['web-qa01', ['web-st01', 'api-st01']] },
    ];
    assert.deepEqual(refusal(JSON.stringify({ services })), [
      'services[1].stages[1][1]: "api-st01" is already a stage of services[0]',
    ]);
  });

  test('a configuration sent to a running workflow must keep its waves in step with its stages', () => {
    const sent = checkService({ ...waved, waves: [['api-qa01'], ['api-st01', 'api-va01']], waveRule: 'some' });
    assert.deepEqual(sent, {
      ok: false,
      problem:
        'waves: must hold the stages, in their order, and nothing else; waveRule: must be "all", "any" or "N of M" such as "2 of 3", not "some"',
    });
    assert.equal(checkService(waved).ok, true);
  });
});

describe('waves and pairs', () => {
  test('every app of a wave is promoted from the first app of the wave before', () => {
    assert.deepEqual(
      pairsOf(waved).map((p) => `${p.index}:${p.from}->${p.to}`),
      [
        '0:api-qa01->api-st01',
        '1:api-st01->api-va01',
        '2:api-st01->api-va02',
        '3:api-st01->api-va03',
        '4:api-va01->api-eu01',
        '5:api-va01->api-eu02',
      ],
    );
  });

  test('a chain is waves of one app each, its pairs unchanged', () => {
    assert.deepEqual(
      wavesOf(chain),
      chain.stages.map((app) => [app]),
    );
    assert.deepEqual(
      pairsOf(chain).map((p) => p.from),
      ['api-qa01', 'api-st01', 'api-va01'],
    );
  });

  test('the wave before an app', () => {
    assert.deepEqual(waveBefore(waved, 'api-eu02'), ['api-va01', 'api-va02', 'api-va03']);
    assert.deepEqual(waveBefore(waved, 'api-qa01'), []);
  });
});

describe('wave soak (where a release has soaked on the wave it leaves)', () => {
  const pair = { index: 4, from: 'api-va01', to: 'api-eu01' };
  const bbb = running('bbb', 0);
  const everywhere = (minutes: number[]) =>
    observeWaves({
      'api-qa01': bbb,
      'api-st01': bbb,
      'api-va01': running('bbb', minutes[0]),
      'api-va02': running('bbb', minutes[1]),
      'api-va03': minutes[2] === undefined ? running('aaa') : running('bbb', minutes[2]),
      'api-eu01': running('aaa'),
      'api-eu02': running('aaa'),
    });

  test('a pair out of a wave of one has no wave facts (the age gate judges it)', () => {
    assert.equal(
      waveSoak(waved, { index: 1, from: 'api-st01', to: 'api-va01' }, bbb, everywhere([0, 0, 0]), { failed: {} }),
      undefined,
    );
  });

  test('each app of the wave says when the release soaks there, or that it does not run it', () => {
    const wave = waveSoak(waved, pair, bbb, everywhere([0, 5]), { failed: {} });
    assert.deepEqual(wave, {
      rule: 'all',
      needed: 3,
      apps: [
        { app: 'api-va01', soakedAt: at(30) },
        { app: 'api-va02', soakedAt: at(35) },
        { app: 'api-va03', soakedAt: null },
      ],
    });
  });

  test('an app of the wave with a promotion in flight (posting or baking) has not soaked the release yet', () => {
    const wave = waveSoak(waved, pair, bbb, everywhere([0, 0, 0]), { failed: {}, inFlight: ['api-va02'] });
    assert.deepEqual(
      wave!.apps.map((a) => [a.app, a.soakedAt]),
      [
        ['api-va01', at(30)],
        ['api-va02', null],
        ['api-va03', at(30)],
      ],
    );
  });

  test('a release that failed on one app of the wave is marked failed there', () => {
    const failed = {
      'api-va02': [{ artifactId: 'slug-bbb', commit: sha('bbb'), error: 'Release command failed', at: at(3) }],
    };
    const wave = waveSoak(waved, pair, bbb, everywhere([0, 0, 0]), { failed });
    assert.match(wave!.apps[1].failed!, /failed in api-va02 .*Release command failed/);
  });

  test("a release whose release phase failed on an app (Heroku's word) is marked failed there", () => {
    const observation = everywhere([0, 0]);
    observation.stages[4] = stage('api-va03', running('aaa'), release('bbb', { version: 2, status: 'failed' }));
    assert.match(
      waveSoak(waved, pair, bbb, observation, { failed: {} })!.apps[2].failed!,
      /failed its release in api-va03/,
    );
  });

  test('an operator retry lifts the failure on that app', () => {
    const failed = { 'api-va02': [{ artifactId: 'slug-bbb', commit: sha('bbb'), error: 'boom', at: at(3) }] };
    const wave = waveSoak(waved, pair, bbb, everywhere([0, 0, 0]), { failed, retry: { 'api-va02': 'slug-bbb' } });
    assert.equal(wave!.apps[1].failed, undefined);
  });

  test('the rule of the services file sets how many apps are needed', () => {
    assert.equal(waveSoak({ ...waved, waveRule: 'any' }, pair, bbb, everywhere([0, 0, 0]), { failed: {} })!.needed, 1);
    assert.equal(
      waveSoak({ ...waved, waveRule: '2 of 3' }, pair, bbb, everywhere([0, 0, 0]), { failed: {} })!.needed,
      2,
    );
  });
});

describe('wave gate', () => {
  const wave = (soaks: (number | null)[], needed = soaks.length): WaveSoak => ({
    rule: needed === soaks.length ? 'all' : `${needed} of ${soaks.length}`,
    needed,
    apps: soaks.map((m, i) => ({ app: `api-va0${i + 1}`, soakedAt: m === null ? null : at(m) })),
  });
  const candidate = (w?: WaveSoak): Candidate => ({
    pair: { index: 4, from: 'api-va01', to: 'api-eu01' },
    source: running('bbb', 0, 7),
    target: running('aaa'),
    ...(w ? { wave: w } : {}),
  });
  const context = (minutes: number): GateContext => ({
    service: waved,
    now: T0 + minutes * MIN,
    pause: null,
    freeze: null,
    commits: {},
    health: {},
  });

  const rows: { name: string; wave?: WaveSoak; now: number; ok: boolean | null; recheck?: string; reason?: RegExp }[] =
    [
      { name: 'no wave before of several apps: not judged', now: 40, ok: null },
      { name: 'soaked on every app: opens', wave: wave([30, 35, 31]), now: 40, ok: true, reason: /3 of 3 soaked/ },
      {
        name: 'one app still soaking: holds until its soak ends',
        wave: wave([30, 45, 31]),
        now: 40,
        ok: false,
        recheck: at(45),
        reason: /2 of 3 soaked in the wave before, 3 of 3 needed \("all"\): api-va02 soaked at/,
      },
      {
        name: 'one app not running the release: holds with no time to recheck',
        wave: wave([30, 30, null]),
        now: 40,
        ok: false,
        reason: /not running it yet: api-va03/,
      },
      { name: 'enough apps for "2 of 3": opens', wave: wave([30, 30, null], 2), now: 40, ok: true },
    ];
  for (const row of rows)
    test(row.name, () => {
      const verdict = waveGate(candidate(row.wave), context(row.now));
      if (row.ok === null) return assert.equal(verdict, null);
      assert.equal(verdict?.ok, row.ok);
      assert.equal(verdict?.recheckAt, row.recheck);
      if (row.reason) assert.match(verdict.reason, row.reason);
    });

  test('the age gate steps aside where the wave gate judges the soak', () => {
    assert.equal(ageGate(candidate(wave([30])), context(40)), null);
    assert.equal(ageGate(candidate(), context(40))?.ok, true);
  });
});

describe('wave planning', () => {
  const ccc = running('ccc', 0, 3);
  const plan = (byApp: Record<string, ReleaseFact>, failed = {}) =>
    planPairs(waved, observeWaves(byApp), { inFlight: [], failed, soak: { now: T0 + 40 * MIN, commits: {} } });
  const base = {
    'api-qa01': ccc,
    'api-st01': ccc,
    'api-va01': ccc,
    'api-va02': ccc,
    'api-va03': ccc,
    'api-eu01': running('aaa'),
    'api-eu02': running('aaa'),
  };

  test('every app of the next wave is a candidate carrying the wave it leaves', () => {
    const plans = plan(base).filter((p) => p.pair.to.startsWith('api-eu'));
    assert.deepEqual(
      plans.map((p) => [p.kind, p.kind === 'candidate' ? p.candidate.wave?.apps.length : 0]),
      [
        ['candidate', 3],
        ['candidate', 3],
      ],
    );
  });

  test('a release that failed on one app of a wave is held from every app of the next wave', () => {
    const failed = {
      'api-va03': [{ artifactId: 'slug-ccc', commit: sha('ccc'), error: 'Release command failed', at: at(1) }],
    };
    const plans = plan({ ...base, 'api-va03': running('aaa') }, failed).filter((p) => p.pair.to.startsWith('api-eu'));
    assert.deepEqual(
      plans.map((p) => p.kind),
      ['held', 'held'],
    );
    assert.match(plans[0].reason, /failed in api-va03 .*a wave goes on only with what held up on every app/);
  });
});

describe('grouping promotions', () => {
  const go = (to: string, from: string, source: string, by?: string) => ({
    candidate: { pair: { index: 0, from, to }, source: { id: source } },
    ...(by ? { manual: { by } } : {}),
  });
  const rows: { name: string; gos: ReturnType<typeof go>[]; groups: string[][] }[] = [
    {
      name: 'targets of one wave taking one release go in one promotion',
      gos: [go('api-va01', 'api-st01', 'r1'), go('api-va02', 'api-st01', 'r1'), go('api-va03', 'api-st01', 'r1')],
      groups: [['api-va01', 'api-va02', 'api-va03']],
    },
    {
      name: 'a target taking another release goes alone',
      gos: [go('api-va01', 'api-st01', 'r1'), go('api-va02', 'api-st01', 'r0')],
      groups: [['api-va01'], ['api-va02']],
    },
    {
      name: 'targets of different waves go apart',
      gos: [go('api-st01', 'api-qa01', 'r2'), go('api-va01', 'api-st01', 'r1')],
      groups: [['api-st01'], ['api-va01']],
    },
    {
      name: "an operator's promotion never shares with the gates' own",
      gos: [go('api-va01', 'api-st01', 'r1', 'ana'), go('api-va02', 'api-st01', 'r1')],
      groups: [['api-va01'], ['api-va02']],
    },
    {
      name: 'promotions one operator asked for at once, into apps of one wave, go together',
      gos: [
        go('api-va01', 'api-st01', 'r1', 'ana'),
        go('api-va02', 'api-st01', 'r1', 'ana'),
        go('api-va03', 'api-st01', 'r1', 'bo'),
      ],
      groups: [['api-va01', 'api-va02'], ['api-va03']],
    },
  ];
  for (const row of rows)
    test(row.name, () =>
      assert.deepEqual(
        groupPromotions(waved, row.gos).map((group) => group.map((g) => g.candidate.pair.to)),
        row.groups,
      ),
    );
});
