import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { writeFileSync } from 'node:fs';
import type { Service } from '../../domain/service';
import { startStack, status, uniqueName, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';
import { anonymousHome, conveyor, tempFile } from './support';

/** The error line; a progress line may come before it on a slow machine. */
const lastLine = (stderr: string) => stderr.trim().split('\n').at(-1);

/** A services file for `services` as a person writes it, in YAML. */
function servicesYaml(services: Service[], overrides: Record<string, Record<string, string>> = {}): string {
  const lines = ['# yaml-language-server: $schema=./services.schema.json', 'services:'];
  for (const s of services) {
    lines.push(
      `  - name: ${s.name}`,
      `    pipeline: ${s.pipeline}`,
      `    stages: [${s.stages.join(', ')}]`,
      `    repo: ${s.repo}`,
      '    tick: 2s',
    );
    const extra = { minAge: '1s', ...overrides[s.name] };
    for (const [key, value] of Object.entries(extra)) lines.push(`    ${key}: ${value}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('conveyor CLI against a running stack', () => {
  let stack: Stack;
  let env: NodeJS.ProcessEnv;
  const started = new Set<string>();
  const cli = async (...args: string[]) => {
    const run = await conveyor(env, ...args);
    if (args[0] === 'apply' && run.stdout.startsWith('{'))
      for (const s of run.json().services ?? []) started.add(s.workflowId);
    return run;
  };

  before(async () => {
    stack = await startStack();
    env = { ...stack.workerEnv, ...anonymousHome(), CONVEYOR_USER: 'ana@acme.com', PATH: process.env.PATH };
  });
  after(async () => {
    await Promise.all(
      [...started].map((id) =>
        stack.client.workflow
          .getHandle(id)
          .terminate('test finished')
          .catch(() => undefined),
      ),
    );
    await stack?.stop();
  });

  test('apply starts the pipelines of a YAML file, then leaves unchanged ones alone', async () => {
    const service = await stack.prepare('cli-apply');
    const file = tempFile('services.yaml', servicesYaml([service]));
    const first = await cli('apply', '-f', file, '--json');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.deepEqual(first.json().services, [
      { service: service.name, workflowId: `conveyor/${service.name}`, action: 'started' },
    ]);
    const again = await cli('apply', '-f', file, '--json');
    assert.equal(again.code, 0);
    assert.equal(again.json().services[0].action, 'unchanged');
  });

  test('plan shows a config change and what each pair would do under it; apply sends it as an update', async () => {
    const service = await stack.prepare('cli-plan');
    const file = tempFile('services.yaml', servicesYaml([service]));
    assert.equal((await cli('apply', '-f', file)).code, 0);
    await eventually(async () => (await status(stack, service)).observedAt, 20_000, 'first observation');
    writeFileSync(file, servicesYaml([service], { [service.name]: { minAge: '1h' } }));
    const plan = await cli('plan', '-f', file, '--json');
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    const planned = plan.json().services[0];
    assert.equal(planned.action, 'change');
    assert.deepEqual(planned.changes, [{ key: 'minAge', from: '1s', to: '1h' }], "the file's key and durations");
    assert.equal(planned.would.length, service.stages.length - 1);
    const text = await cli('plan', '-f', file);
    assert.match(text.stdout, new RegExp(`change +conveyor/${service.name}\\n +minAge: 1s -> 1h`));

    const applied = await cli('apply', '-f', file, '--json');
    assert.equal(applied.code, 0, applied.stdout);
    assert.equal(applied.json().services[0].action, 'updated');
    assert.match(applied.json().services[0].message, /configuration applied/);
    const replan = await cli('plan', '-f', file, '--json');
    assert.equal(replan.json().services[0].action, 'unchanged');
  });

  test('plan says which pairs the new config would move', async () => {
    const service = await stack.prepare('cli-move');
    const file = tempFile('services.yaml', servicesYaml([service], { [service.name]: { minAge: '1h' } }));
    assert.equal((await cli('apply', '-f', file)).code, 0);
    await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(async () => (await status(stack, service)).pairs[0]?.state === 'gated', 20_000);
    writeFileSync(file, servicesYaml([service]));
    const plan = await cli('plan', '-f', file);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(
      plan.stdout,
      new RegExp(`${service.stages[0]} -> ${service.stages[1]} would be ready \\(now gated\\)`),
    );
    assert.equal(
      (
        await stack.client.workflow
          .getHandle(`conveyor/${service.name}`)
          .query<{ pairs: { state: string }[] }>('status')
      ).pairs[0].state,
      'gated',
      'plan changed nothing',
    );
  });

  test('a config the running pipeline refuses is reported with its reason: exit 1', async () => {
    const service = await stack.prepare('cli-refused');
    const file = tempFile('services.yaml', servicesYaml([service], { [service.name]: { minAge: '0s' } }));
    assert.equal((await cli('apply', '-f', file)).code, 0);
    started.add(`conveyor/${service.name}`);
    // A promotion into the second stage is decided and stuck before its POST (Heroku answers 503)...
    stack.sandbox.faults.inject({
      id: 'cli-refused',
      endpoint: 'GET /apps/{app}/releases',
      kind: 'error',
      status: 503,
    });
    try {
      await stack.sandbox.scenario.merge(service.pipeline);
      await eventually(
        async () => ((await status(stack, service)).inFlight.length > 0 ? true : undefined),
        30_000,
        'a promotion in flight',
      );
      // ...so a config without that stage is refused by the pipeline, with the reason.
      const without = { ...service, stages: [service.stages[0], ...service.stages.slice(2)] };
      writeFileSync(file, servicesYaml([without], { [service.name]: { minAge: '0s' } }));
      const run = await cli('apply', '-f', file);
      assert.equal(run.code, 1);
      assert.match(
        run.stdout,
        new RegExp(`^refused conveyor/${service.name}: ${service.stages[1]} has a promotion in flight`, 'm'),
      );
    } finally {
      stack.sandbox.faults.clear('cli-refused');
    }
  });

  test('pipelines not in the file are listed, and --prune stops them only when confirmed', async () => {
    const [kept, removed] = [await stack.prepare('cli-kept'), await stack.prepare('cli-removed')];
    assert.equal((await cli('apply', '-f', tempFile('services.yaml', servicesYaml([kept, removed])))).code, 0);
    const file = tempFile('services.yaml', servicesYaml([kept]));
    const listed = await cli('apply', '-f', file);
    assert.match(
      listed.stdout,
      new RegExp(`not in the file: conveyor/${removed.name} keeps running \\(apply --prune stops it\\)`),
    );
    const unconfirmed = await cli('apply', '-f', file, '--prune');
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /pass --yes to confirm/);
    const pruned = await cli('apply', '-f', file, '--prune', '--yes', '--json');
    assert.equal(pruned.code, 0, pruned.stdout);
    assert.ok(pruned.json().stopped.includes(removed.name));
    const description = await stack.client.workflow.getHandle(`conveyor/${removed.name}`).describe();
    assert.equal(description.status.name, 'TERMINATED');
  });

  test('status --json is the status document; the text shows one next look', async () => {
    const service = await stack.launch('cli-status');
    started.add(`conveyor/${service.name}`);
    await eventually(async () => (await status(stack, service)).observedAt, 20_000);
    const json = await cli('status', service.name, '--json');
    assert.equal(json.code, 0);
    assert.equal(json.json().service, service.name);
    assert.equal(json.json().pairs.length, 3);
    const text = await cli('status', service.name);
    assert.match(text.stdout, /; next look (in \d+s|due now)$/m);
    assert.doesNotMatch(text.stdout, /rechecked/);
    assert.doesNotMatch(text.stdout, /\u001b\[/, 'no colours when stdout is not a terminal');
  });

  test('colours come with FORCE_COLOR and never with NO_COLOR', async () => {
    const service = await stack.launch('cli-colour');
    started.add(`conveyor/${service.name}`);
    await eventually(async () => (await status(stack, service)).observedAt, 20_000);
    assert.match(
      (await conveyor({ ...env, FORCE_COLOR: '1' }, 'status', service.name)).stdout,
      /\u001b\[32min-sync\u001b\[39m/,
    );
    assert.doesNotMatch(
      (await conveyor({ ...env, FORCE_COLOR: '1', NO_COLOR: '1' }, 'status', service.name)).stdout,
      /\u001b\[/,
    );
  });

  test('why names the holding gate, when it opens, what opens it and the command to override', async () => {
    const service = await stack.launch('cli-why', { minAge: '1h' });
    started.add(`conveyor/${service.name}`);
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(async () => (await status(stack, service)).pairs[0]?.state === 'gated', 20_000);
    const run = await cli('why', service.name);
    assert.equal(run.code, 0);
    assert.match(
      run.stdout,
      new RegExp(
        `^${service.name}: ${merged.sha.slice(0, 7)} \\(v\\d+\\) has been on ${service.stages[0]} since .* and waits to enter ${service.stages[1]}, held by 1 gate:\n {2}age: `,
      ),
    );
    assert.match(
      run.stdout,
      /^ {2}age: .* \| opens with time alone, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ \(in (59|60)m\)/m,
    );
    assert.match(
      run.stdout,
      new RegExp(`run: conveyor promote ${service.name} --to ${service.stages[1]} --reason "\\.\\.\\."`),
    );
    const utc = await cli('why', service.name, '--utc');
    assert.match(utc.stdout, /opens with time alone, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in (59|60)m\)/);
    const json = (await cli('why', service.name, '--json')).json();
    assert.deepEqual(json.pair, { from: service.stages[0], to: service.stages[1] });
    assert.equal(json.holding[0].gate, 'age');
    const unknown = await cli('why', service.name, '--to', 'nope-01');
    assert.equal(unknown.code, 2);
    const misspelt = `${service.stages[1].slice(0, -1)}9`;
    const near = await cli('why', service.name, '--to', misspelt);
    assert.equal(near.code, 2);
    assert.match(
      near.stderr,
      new RegExp(`^conveyor: --to: "${misspelt}" is not a stage .*; did you mean ${service.stages[1]}\\?`),
    );
  });

  test('promote, approve and retry into a stage the service does not have: exit 2, with the stage meant', async () => {
    const service = await stack.launch('cli-stage');
    started.add(`conveyor/${service.name}`);
    await eventually(async () => (await status(stack, service)).observedAt, 20_000);
    const misspelt = `${service.stages[2].slice(0, -1)}9`;
    for (const args of [
      ['promote', service.name, '--to', misspelt, '--reason', 'try'],
      ['approve', service.name, '--to', misspelt],
      ['retry', service.name, '--to', misspelt],
    ]) {
      const run = await cli(...args);
      assert.equal(run.code, 2, `${args[0]}: ${run.stderr}`);
      assert.match(
        lastLine(run.stderr) ?? '',
        new RegExp(
          `^conveyor: --to: "${misspelt}" is not a stage ${service.name} promotes into; did you mean ${service.stages[2]}\\?`,
        ),
      );
    }
    const wrong = await cli('status', `${service.name.slice(0, -1)}`, '--json');
    assert.equal(wrong.code, 2);
    assert.match(wrong.json().error.message, new RegExp(`did you mean ${service.name}\\?`));
  });

  test('promote --to a,b promotes the whole wave in one promotion, answering per app', async () => {
    const name = uniqueName('cli-wave');
    const waves = [[`${name}-qa01`], [`${name}-st01`, `${name}-st02`]];
    const service = await stack.launch(name, { stages: waves.flat(), waves, minAge: '1h' });
    started.add(`conveyor/${service.name}`);
    const [st01, st02] = waves[1];
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(async () => {
      const into = (await status(stack, service)).pairs.find((p) => p.to === st01);
      return into?.verdicts.some((v) => v.gate === 'age' && !v.ok);
    });
    const run = await cli('promote', service.name, '--to', `${st01},${st02}`, '--reason', 'hotfix', '--json');
    assert.equal(run.code, 0, run.stderr);
    const answers = run.json<{ to: string; started: boolean; skippedGates: string[] }[]>();
    assert.deepEqual(
      answers.map((a) => [a.to, a.started, a.skippedGates]),
      [
        [st01, true, ['age']],
        [st02, true, ['age']],
      ],
    );
    await eventually(
      async () => (await status(stack, service)).stages.slice(1).every((s) => s.commit === merged.sha),
      30_000,
      'the release on both apps of the wave',
    );
    const posted = stack.sandbox.scenario.promotions().filter((p) => p.pipeline === service.pipeline);
    assert.deepEqual(
      posted.map((p) => p.targets.map((t) => t.app).sort()),
      [[st01, st02]],
    );
  });

  test('pause --stage holds that app alone until resume --stage lifts it', async () => {
    const name = uniqueName('cli-hold');
    const waves = [[`${name}-qa01`], [`${name}-st01`, `${name}-st02`]];
    const service = await stack.launch(name, { stages: waves.flat(), waves, minAge: '0s' });
    started.add(`conveyor/${service.name}`);
    const [st01, st02] = waves[1];
    await eventually(async () => (await status(stack, service)).observedAt, 20_000);
    const held = await cli('pause', service.name, '--stage', st02, '--reason', 'canary first', '--by', 'ana', '--json');
    assert.equal(held.code, 0, held.stderr);
    assert.deepEqual(held.json<{ stage: string; held: boolean }>(), {
      service: service.name,
      stage: st02,
      held: true,
      reason: 'canary first',
      by: 'ana',
    });
    await eventually(async () => (await status(stack, service)).held?.[st02], 20_000, 'the hold of one app');
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await status(stack, service)).stages.find((s) => s.stage === st01)?.commit === merged.sha,
      30_000,
      'the release on the app not held',
    );
    const during = await status(stack, service);
    assert.equal(during.paused, null, 'the pipeline itself is not paused');
    assert.notEqual(during.stages.find((s) => s.stage === st02)?.commit, merged.sha, 'nothing went into the held app');
    assert.equal((await cli('resume', service.name, '--stage', st02)).code, 0);
    await eventually(
      async () => (await status(stack, service)).stages.find((s) => s.stage === st02)?.commit === merged.sha,
      30_000,
      'the release on the app once resumed',
    );
  });

  test('pause --stage names a stage the service does not promote into: exit 2, and pauses nothing', async () => {
    const service = await stack.launch('cli-hold-bad');
    started.add(`conveyor/${service.name}`);
    const run = await cli('pause', service.name, '--stage', service.stages[0], '--reason', 'x');
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      lastLine(run.stderr) ?? '',
      new RegExp(`^conveyor: --stage: "${service.stages[0]}" is not a stage ${service.name} promotes into`),
    );
    assert.equal((await status(stack, service)).paused, null);
  });

  test('resume --stage names an app that is not held: exit 2, and lifts nothing', async () => {
    const service = await stack.launch('cli-resume');
    started.add(`conveyor/${service.name}`);
    await eventually(async () => (await status(stack, service)).observedAt, 20_000);
    assert.equal((await cli('pause', service.name, '--reason', 'drill')).code, 0);
    const run = await cli('resume', service.name, '--stage', service.stages[1]);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(
      lastLine(run.stderr),
      `conveyor: --stage: ${service.stages[1]} is not held alone in ${service.name} (no app is)`,
    );
    assert.equal((await status(stack, service)).paused?.reason, 'drill');
  });

  test('frozen --json prints a document, frozen or not', async () => {
    const run = await cli('frozen', '--json');
    assert.equal(run.code, 0);
    assert.deepEqual(run.json(), { frozen: false });
  });

  test('list explains its columns and shows what holds each pipeline', async () => {
    const service = await stack.launch('cli-list');
    started.add(`conveyor/${service.name}`);
    await eventually(async () => (await status(stack, service)).observedAt, 20_000);
    assert.equal((await cli('pause', service.name, '--reason', 'drill')).code, 0);
    await eventually(
      async () => {
        const rows = (await cli('list', '--json')).json<{ service: string; state?: string }[]>();
        return rows.find((r) => r.service === service.name)?.state === 'paused';
      },
      20_000,
      'the memo shows the pause',
    );
    const text = (await cli('list')).stdout;
    assert.match(text, /^SERVICE +NEWEST AT +STATE +WORKFLOW ID$/m);
    assert.match(text, new RegExp(`^${service.name} +\\S+ +paused +conveyor/${service.name}$`, 'm'));
    assert.match(text, /^NEWEST AT: the furthest stage the newest commit has reached\.$/m);
    assert.match(text, /^STATE: paused, frozen or blocked first/m);
  });

  test('promote that starts nothing exits 1 and says why', async () => {
    const service = await stack.launch('cli-nothing');
    started.add(`conveyor/${service.name}`);
    await eventually(async () => (await status(stack, service)).observedAt, 20_000);
    const run = await cli('promote', service.name, '--to', service.stages[1], '--reason', 'try', '--json');
    assert.equal(run.code, 1, run.stdout);
    assert.equal(run.json().started, false);
    assert.match(run.json().message, /nothing to promote/);
  });

  test('retry is refused when nothing failed, and retries a release once its cause is fixed', async () => {
    const service = await stack.launch('cli-retry', { minAge: '0s' });
    started.add(`conveyor/${service.name}`);
    const refused = await cli('retry', service.name, '--to', service.stages[1], '--json');
    assert.equal(refused.code, 1);
    assert.match(refused.json().error.message, /nothing failed in/);

    stack.sandbox.scenario.setReleasePhase(service.stages[1], { fail: 'migration 42 failed' });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(
      async () => (await status(stack, service)).pairs[0]?.state === 'held',
      30_000,
      'the release failed in the second stage',
    );
    stack.sandbox.scenario.setReleasePhase(service.stages[1], {});
    const run = await cli('retry', service.name, '--to', service.stages[1], '--reason', 'migration fixed');
    assert.equal(run.code, 0, run.stderr);
    await eventually(
      async () => (await status(stack, service)).stages[1].commit === merged.sha,
      30_000,
      'retried into the second stage',
    );
  });

  test('who acted is CONVEYOR_USER, else git user.email, else the account name with a note', async () => {
    const service = await stack.launch('cli-who');
    started.add(`conveyor/${service.name}`);
    await cli('pause', service.name, '--reason', 'checking');
    await eventually(
      async () => (await status(stack, service)).paused?.by === 'ana@acme.com',
      10_000,
      'paused by CONVEYOR_USER',
    );

    const home = anonymousHome();
    execFileSync('git', ['config', '--file', home.GIT_CONFIG_GLOBAL!, 'user.email', 'bo@acme.com']);
    const { CONVEYOR_USER: _, ...noUser } = env;
    await conveyor({ ...noUser, ...home }, 'pause', service.name, '--reason', 'again');
    await eventually(
      async () => (await status(stack, service)).paused?.by === 'bo@acme.com',
      10_000,
      'paused by git user.email',
    );

    const bare = await conveyor({ ...noUser, ...anonymousHome() }, 'pause', service.name, '--reason', 'third');
    assert.match(
      bare.stderr,
      new RegExp(
        `recording you as "${userInfo().username}", this machine's account name: set CONVEYOR_USER or pass --by`,
      ),
    );
  });

  test('with no worker polling, status, updates and a reconfigure say so in one line: exit 3', async () => {
    const service = await stack.prepare('cli-noworker');
    const queue = uniqueName('nobody');
    const file = tempFile('services.yaml', servicesYaml([service]));
    assert.equal((await conveyor({ ...env, CONVEYOR_TASK_QUEUE: queue }, 'apply', '-f', file)).code, 0);
    started.add(`conveyor/${service.name}`);
    for (const args of [
      ['status', service.name],
      ['promote', service.name, '--to', service.stages[1], '--reason', 'x'],
    ]) {
      const run = await cli(...args);
      assert.equal(run.code, 3, `${args[0]}: ${run.stderr}`);
      assert.equal(
        lastLine(run.stderr),
        `conveyor: no worker is polling task queue ${queue}: is \`conveyor worker\` running?`,
      );
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    }
    writeFileSync(file, servicesYaml([service], { [service.name]: { minAge: '1h' } }));
    const reapply = await conveyor({ ...env, CONVEYOR_TASK_QUEUE: queue }, 'apply', '-f', file);
    assert.equal(reapply.code, 3, reapply.stderr);
    assert.equal(
      lastLine(reapply.stderr),
      `conveyor: no worker is polling task queue ${queue}: is \`conveyor worker\` running?`,
    );
    const list = await conveyor({ ...env, CONVEYOR_TASK_QUEUE: queue }, 'list', '--json');
    assert.equal(list.code, 0);
    assert.ok(list.json().some((p: { service: string }) => p.service === service.name));
    assert.match(list.stderr, new RegExp(`no worker is polling task queue ${queue}`));
  });

  test('a namespace that does not exist is one line: exit 3', async () => {
    const run = await conveyor({ ...env, TEMPORAL_NAMESPACE: 'no-such-namespace' }, 'list');
    assert.equal(run.code, 3);
    assert.equal(
      run.stderr,
      `conveyor: namespace "no-such-namespace" does not exist on ${stack.address} (set TEMPORAL_NAMESPACE or --namespace)\n`,
    );
  });

  test('every operator command answers one JSON document with --json', async () => {
    const service = await stack.launch('cli-json');
    started.add(`conveyor/${service.name}`);
    await eventually(async () => (await status(stack, service)).observedAt, 20_000);
    const commit = (await stack.sandbox.scenario.merge(service.pipeline)).sha;
    const runs: [string[], object][] = [
      [
        ['pause', service.name, '--reason', 'db migration'],
        { service: service.name, paused: true, reason: 'db migration', by: 'ana@acme.com' },
      ],
      [['resume', service.name, '--by', 'bo'], { service: service.name, paused: false, by: 'bo' }],
      [
        ['reject', service.name, '--commit', commit, '--reason', 'breaks billing'],
        { service: service.name, rejected: commit },
      ],
      [['unreject', service.name, '--commit', commit], { service: service.name, unrejected: commit }],
      [['frozen'], { frozen: false }],
      [['list'], {}],
    ];
    for (const [args, expected] of runs) {
      const run = await cli(...args, '--json');
      assert.equal(run.code, 0, `${args[0]}: ${run.stdout}${run.stderr}`);
      const document = run.json();
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(document[key], value, `${args[0]}.${key}`);
    }
  });

  test('an unknown service is a usage error naming it', async () => {
    const run = await cli('status', 'no-such-service', '--json');
    assert.equal(run.code, 2);
    assert.match(run.json().error.message, /no running pipeline for service "no-such-service"/);
  });
});
