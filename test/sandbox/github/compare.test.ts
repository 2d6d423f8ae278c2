import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Octokit } from 'octokit';
import { startSandbox, type Sandbox } from '../../../sandbox/server';
import type { Deployed } from '../../../sandbox/scenario/scenario';
import { FAST, octokit, githubFailure } from '../support';

/**
 * The repository of service "ghub", as the scenario builds it:
 *
 *   c0 ── c1 ── c2            main
 *    │           └── f1       feature/x
 *    └── h1                   hotfix/1 (the hotfix of gh-va01, which ran c0)
 */
describe('GitHub compare and branches through octokit', () => {
  let sandbox: Sandbox;
  let github: Octokit;
  let c0: string;
  let c1: Deployed;
  let c2: Deployed;
  let h1: Deployed;
  let f1: Deployed;
  const repo = { owner: 'acme', repo: 'gh' };

  const compare = async (basehead: string, extra: { per_page?: number } = {}) =>
    (await github.rest.repos.compareCommitsWithBasehead({ ...repo, basehead, ...extra })).data;
  before(async () => {
    sandbox = await startSandbox(FAST);
    github = octokit(sandbox);
    c0 = (
      await sandbox.scenario.createService({ name: 'ghub', repo: 'acme/gh', stages: ['gh-qa01', 'gh-st01', 'gh-va01'] })
    ).commit;
    c1 = await sandbox.scenario.merge('ghub', { message: 'first change' });
    c2 = await sandbox.scenario.merge('ghub', { message: 'second change' });
    h1 = await sandbox.scenario.hotfix('ghub', 'gh-va01', { message: 'urgent fix' });
    f1 = await sandbox.scenario.pushBranch('ghub', 'feature/x', { message: 'try something' });
  });
  after(async () => sandbox?.stop());

  test('a commit behind the branch head is "behind", and is its own merge base', async () => {
    const data = await compare(`main...${c1.sha}`);
    assert.deepEqual([data.status, data.ahead_by, data.behind_by, data.total_commits], ['behind', 0, 1, 0]);
    assert.equal(data.merge_base_commit.sha, c1.sha);
    assert.equal(data.base_commit.sha, c2.sha);
    assert.deepEqual(data.commits, []);
  });

  test('a newer commit is "ahead", listing the commits it adds, oldest first', async () => {
    const data = await compare(`${c0}...main`);
    assert.deepEqual([data.status, data.ahead_by, data.behind_by, data.total_commits], ['ahead', 2, 0, 2]);
    assert.equal(data.merge_base_commit.sha, c0);
    assert.deepEqual(
      data.commits.map((c) => [c.sha, c.commit.message]),
      [
        [c1.sha, 'first change'],
        [c2.sha, 'second change'],
      ],
    );
  });

  test('the branch head compared with itself is "identical"', async () => {
    const data = await compare(`main...${c2.sha}`);
    assert.deepEqual([data.status, data.ahead_by, data.behind_by], ['identical', 0, 0]);
    assert.equal(data.merge_base_commit.sha, c2.sha);
  });

  test('a hotfix is not on main: "diverged", with the commit it branched from as merge base', async () => {
    const data = await compare(`main...${h1.sha}`);
    assert.deepEqual([data.status, data.ahead_by, data.behind_by], ['diverged', 1, 2]);
    assert.equal(data.merge_base_commit.sha, c0);
    assert.deepEqual(
      data.commits[0].parents.map((p) => p.sha),
      [c0],
    );
  });

  test('a feature-branch commit is "ahead" of main, not on it', async () => {
    const data = await compare(`main...${f1.sha}`);
    assert.deepEqual([data.status, data.ahead_by, data.behind_by], ['ahead', 1, 0]);
    assert.equal(data.merge_base_commit.sha, c2.sha);
  });

  test('refs may be branch names (slashes and all) or unique sha prefixes of 7 or more', async () => {
    const data = await compare(`${c0.slice(0, 7)}...hotfix/1`);
    assert.deepEqual([data.status, data.ahead_by, data.base_commit.sha], ['ahead', 1, c0]);
  });

  test('per_page pages the commits but not the counts', async () => {
    const response = await github.rest.repos.compareCommitsWithBasehead({
      ...repo,
      basehead: `${c0}...main`,
      per_page: 1,
    });
    assert.equal(response.data.ahead_by, 2);
    assert.deepEqual(
      response.data.commits.map((c) => c.sha),
      [c1.sha],
    );
    assert.match(response.headers.link ?? '', /page=2>; rel="next"/);
  });

  test('an unknown ref or repository is 404 Not Found', async () => {
    assert.deepEqual(await githubFailure(compare(`main...${'f'.repeat(40)}`)), { status: 404, message: 'Not Found' });
    assert.deepEqual(
      await githubFailure(
        github.rest.repos.compareCommitsWithBasehead({ owner: 'acme', repo: 'nope', basehead: 'main...main' }),
      ),
      {
        status: 404,
        message: 'Not Found',
      },
    );
  });

  test('a branch answers its head commit and is not protected', async () => {
    const { data } = await github.rest.repos.getBranch({ ...repo, branch: 'main' });
    assert.equal(data.name, 'main');
    assert.equal(data.commit.sha, c2.sha);
    assert.equal(data.commit.commit.message, 'second change');
    assert.equal(data.protected, false);
  });

  test('a hotfix lives on its own branch, hotfix/<n>', async () => {
    const { data } = await github.rest.repos.getBranch({ ...repo, branch: 'hotfix/1' });
    assert.equal(data.commit.sha, h1.sha);
  });

  test('an unknown branch is 404', async () => {
    assert.equal((await githubFailure(github.rest.repos.getBranch({ ...repo, branch: 'nope' }))).status, 404);
  });

  test('a commit is found by sha', async () => {
    const { data } = await github.rest.repos.getCommit({ ...repo, ref: c1.sha });
    assert.equal(data.commit.message, 'first change');
    assert.deepEqual(
      data.parents.map((p) => p.sha),
      [c0],
    );
  });

  test('a bad token is 401 Bad credentials', async () => {
    assert.deepEqual(await githubFailure(octokit(sandbox, 'wrong').rest.repos.getBranch({ ...repo, branch: 'main' })), {
      status: 401,
      message: 'Bad credentials',
    });
  });
});
