import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Octokit } from 'octokit';
import { startSandbox, type Sandbox } from '../../../sandbox/server';
import { FAST, octokit, githubFailure } from '../support';

/** What the CI check reads: check runs and statuses on GitHub, as the scenario sets them. */
describe('CI as the scenario sets it', () => {
  let sandbox: Sandbox;
  let github: Octokit;
  let commit: string;
  const [qa, st, eu] = ['chk-qa01', 'chk-st01', 'chk-eu01'];
  const repo = { owner: 'acme', repo: 'chk' };

  const remote = async (method: string, body: unknown) => {
    const response = await fetch(`${sandbox.herokuUrl}/_sandbox/${method}`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const checkRuns = async (ref = commit, extra: { check_name?: string; per_page?: number; page?: number } = {}) =>
    github.rest.checks.listForRef({ ...repo, ref, ...extra });
  const combined = async (ref = commit) => (await github.rest.repos.getCombinedStatusForRef({ ...repo, ref })).data;
  before(async () => {
    sandbox = await startSandbox(FAST);
    github = octokit(sandbox);
    commit = (await sandbox.scenario.createService({ name: 'chk', repo: 'acme/chk', stages: [qa, st, eu] })).commit;
  });
  after(async () => sandbox?.stop());

  describe('GitHub check runs and statuses', () => {
    test('a commit without CI has no check runs and a pending combined status of none', async () => {
      const { data } = await checkRuns();
      assert.deepEqual([data.total_count, data.check_runs], [0, []]);
      const status = await combined();
      assert.deepEqual([status.state, status.total_count, status.sha], ['pending', 0, commit]);
    });

    test('setCheck reports a run; reporting the same name again updates it in place', async () => {
      sandbox.scenario.setCheck('acme/chk', commit, { name: 'build', status: 'in_progress' });
      const [started] = (await checkRuns()).data.check_runs;
      assert.deepEqual(
        [started.name, started.status, started.conclusion, started.head_sha, started.completed_at],
        ['build', 'in_progress', null, commit, null],
      );
      sandbox.scenario.setCheck('acme/chk', commit, { name: 'build', status: 'completed', conclusion: 'success' });
      const [done] = (await checkRuns()).data.check_runs;
      assert.deepEqual(
        [done.id, done.status, done.conclusion, done.started_at],
        [started.id, 'completed', 'success', started.started_at],
      );
      assert.match(done.completed_at ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });

    test('re-running a completed check is a new run that replaces it', async () => {
      const before = (await checkRuns(commit, { check_name: 'build' })).data.check_runs[0];
      sandbox.scenario.setCheck('acme/chk', commit, { name: 'build', status: 'queued' });
      const { data } = await checkRuns(commit, { check_name: 'build' });
      assert.equal(data.total_count, 1);
      assert.notEqual(data.check_runs[0].id, before.id);
      assert.equal(data.check_runs[0].status, 'queued');
    });

    test('check runs are paged with per_page, the total counting them all', async () => {
      sandbox.scenario.setCheck('acme/chk', commit, { name: 'lint', status: 'completed', conclusion: 'failure' });
      sandbox.scenario.setCheck('acme/chk', 'main', { name: 'test', status: 'completed', conclusion: 'success' });
      const response = await checkRuns(commit, { per_page: 2 });
      assert.deepEqual([response.data.total_count, response.data.check_runs.length], [3, 2]);
      assert.match(response.headers.link ?? '', /[?&]page=2>; rel="next"/);
      assert.equal((await checkRuns(commit, { per_page: 2, page: 2 })).data.check_runs.length, 1);
    });

    test('setStatus posts statuses; the combined state fails when one context fails', async () => {
      sandbox.scenario.setStatus('acme/chk', commit, { context: 'ci/circleci', state: 'success' });
      sandbox.scenario.setStatus('acme/chk', commit, {
        context: 'security',
        state: 'pending',
        description: 'scanning',
      });
      assert.equal((await combined()).state, 'pending');
      sandbox.scenario.setStatus('acme/chk', commit, { context: 'security', state: 'failure' });
      const status = await combined();
      assert.deepEqual([status.state, status.total_count, status.repository.full_name], ['failure', 2, 'acme/chk']);
      assert.deepEqual(
        status.statuses.map((s) => [s.context, s.state]),
        [
          ['ci/circleci', 'success'],
          ['security', 'failure'],
        ],
      );
    });

    test('refs may be a branch or a sha prefix of 7 or more', async () => {
      assert.equal((await combined('main')).sha, commit);
      assert.equal((await checkRuns(commit.slice(0, 7))).data.total_count, 3);
    });

    test('an unknown commit is 404 No commit found', async () => {
      const sha = 'f'.repeat(40);
      assert.deepEqual(await githubFailure(checkRuns(sha)), {
        status: 404,
        message: `No commit found for SHA: ${sha}`,
      });
      assert.deepEqual(await githubFailure(combined(sha)), { status: 404, message: `No commit found for SHA: ${sha}` });
    });

    test('setCheck wants a conclusion exactly when completed', () => {
      assert.throws(
        () => sandbox.scenario.setCheck('acme/chk', commit, { name: 'x', status: 'completed' }),
        /^Error: conclusion: a completed check needs a conclusion$/,
      );
      assert.throws(
        () => sandbox.scenario.setCheck('acme/chk', commit, { name: 'x', status: 'queued', conclusion: 'success' }),
        /conclusion: a queued check has no conclusion yet/,
      );
    });

    test('setCheck and setStatus refuse an unknown repository or commit', () => {
      assert.throws(
        () => sandbox.scenario.setStatus('acme/nope', commit, { context: 'ci', state: 'success' }),
        /no repository acme\/nope/,
      );
      assert.throws(
        () => sandbox.scenario.setCheck('acme/chk', 'nope', { name: 'x', status: 'queued' }),
        /no commit nope in acme\/chk/,
      );
    });

    test('over HTTP: setCheck and setStatus take {repo, commit, ...}', async () => {
      const merged = await sandbox.scenario.merge('chk');
      assert.deepEqual(
        await remote('setCheck', {
          repo: 'acme/chk',
          commit: merged.sha,
          name: 'test',
          status: 'completed',
          conclusion: 'timed_out',
        }),
        { status: 200, body: {} },
      );
      assert.deepEqual(
        await remote('setStatus', { repo: 'acme/chk', commit: merged.sha, context: 'deploy', state: 'error' }),
        { status: 200, body: {} },
      );
      assert.equal((await checkRuns(merged.sha)).data.check_runs[0].conclusion, 'timed_out');
      assert.equal((await combined(merged.sha)).state, 'failure');
      assert.deepEqual(
        await remote('setCheck', { repo: 'acme/chk', commit: merged.sha, name: 'test', status: 'done' }),
        {
          status: 400,
          body: { error: 'status: must be queued, in_progress or completed' },
        },
      );
    });
  });
});
