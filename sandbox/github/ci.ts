import { createHash } from 'node:crypto';
import type { RepoUrls } from './json';
import { timestamp } from '../ids';
import type { CheckConclusion, CheckRunRecord, CheckRunStatus, CommitState, CommitStatusRecord, Store } from '../store';

/**
 * CI on the GitHub side: check runs (GitHub Actions and other apps) and commit statuses (older CI
 * services) reported on commits, as the scenario sets them, and the JSON GitHub answers for them.
 */

export interface CheckInput {
  name: string;
  status: CheckRunStatus;
  /** Required when completed, absent otherwise. */
  conclusion?: CheckConclusion;
}

export interface StatusInput {
  context: string;
  state: CommitState;
  description?: string;
  targetUrl?: string;
}

/**
 * Reports a check run on a commit. A run of the same name is updated in place (as a CI app PATCHes
 * it), unless it had completed and this one has not: that is a re-run, a new run with a new id.
 */
export function setCheck(store: Store, repo: string, sha: string, input: CheckInput): CheckRunRecord {
  const now = timestamp();
  const key = repo.toLowerCase();
  const existing = store.checkRunsOf(key, sha).find((r) => r.name === input.name);
  const rerun = existing?.status === 'completed' && input.status !== 'completed';
  if (existing && !rerun) delete store.state.checkRuns[String(existing.id)];
  const run: CheckRunRecord = {
    id: existing && !rerun ? existing.id : store.nextGitHubId(),
    repo: key,
    sha,
    name: input.name,
    status: input.status,
    conclusion: input.status === 'completed' ? (input.conclusion ?? null) : null,
    startedAt: existing && !rerun ? existing.startedAt : now,
    completedAt: input.status === 'completed' ? now : null,
  };
  if (rerun) delete store.state.checkRuns[String(existing.id)];
  store.state.checkRuns[String(run.id)] = run;
  return run;
}

/** Posts a commit status; it replaces the context's previous one in the combined status. */
export function setStatus(store: Store, repo: string, sha: string, input: StatusInput): CommitStatusRecord {
  const now = timestamp();
  const key = repo.toLowerCase();
  for (const old of store.statusesOf(key, sha).filter((s) => s.context === input.context))
    delete store.state.commitStatuses[String(old.id)];
  const status: CommitStatusRecord = {
    id: store.nextGitHubId(),
    repo: key,
    sha,
    context: input.context,
    state: input.state,
    description: input.description ?? null,
    targetUrl: input.targetUrl ?? null,
    createdAt: now,
    updatedAt: now,
  };
  store.state.commitStatuses[String(status.id)] = status;
  return status;
}

type Json = Record<string, unknown>;

const nodeId = (kind: string, key: string | number) => Buffer.from(`${kind}:${key}`).toString('base64');
/** A stable positive integer for things GitHub numbers but the sandbox does not store (suites, repositories). */
const numberOf = (text: string) => parseInt(createHash('sha1').update(text).digest('hex').slice(0, 8), 16) + 1;

const GITHUB_ORG = {
  login: 'github',
  id: 9919,
  node_id: 'MDEyOk9yZ2FuaXphdGlvbjk5MTk=',
  avatar_url: 'https://avatars.githubusercontent.com/u/9919?v=4',
  url: 'https://api.github.com/users/github',
  html_url: 'https://github.com/github',
  type: 'Organization',
  site_admin: false,
};

/** Every check run is reported by GitHub Actions. */
const ACTIONS_APP = {
  id: 15368,
  slug: 'github-actions',
  node_id: 'MDM6QXBwMTUzNjg=',
  owner: GITHUB_ORG,
  name: 'GitHub Actions',
  description: 'Automate your workflow from idea to production',
  external_url: 'https://help.github.com/en/actions',
  html_url: 'https://github.com/apps/github-actions',
  created_at: '2018-07-30T09:30:17Z',
  updated_at: '2024-04-10T20:33:16Z',
  permissions: { actions: 'write', checks: 'write', contents: 'write', metadata: 'read', statuses: 'write' },
  events: ['check_run', 'check_suite', 'push', 'pull_request'],
};

export function checkRunJson(urls: RepoUrls, run: CheckRunRecord): Json {
  const api = `${urls.api}/check-runs/${run.id}`;
  return {
    id: run.id,
    name: run.name,
    node_id: nodeId('CheckRun', run.id),
    head_sha: run.sha,
    external_id: '',
    url: api,
    html_url: `${urls.web}/runs/${run.id}`,
    details_url: `${urls.web}/runs/${run.id}`,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: { title: null, summary: null, text: null, annotations_count: 0, annotations_url: `${api}/annotations` },
    check_suite: { id: numberOf(`${run.repo}@${run.sha}`) },
    app: ACTIONS_APP,
    pull_requests: [],
  };
}

/** GitHub's combined state: failure if any context failed or errored, pending if any is pending (or none reported), else success. */
export function combinedState(statuses: CommitStatusRecord[]): CommitState {
  if (statuses.some((s) => s.state === 'failure' || s.state === 'error')) return 'failure';
  if (statuses.length === 0 || statuses.some((s) => s.state === 'pending')) return 'pending';
  return 'success';
}

function statusJson(urls: RepoUrls, status: CommitStatusRecord): Json {
  return {
    url: `${urls.api}/statuses/${status.sha}`,
    avatar_url: 'https://avatars.githubusercontent.com/oa/4808?v=4',
    id: status.id,
    node_id: nodeId('StatusContext', status.id),
    state: status.state,
    description: status.description,
    target_url: status.targetUrl,
    context: status.context,
    created_at: status.createdAt,
    updated_at: status.updatedAt,
  };
}

function repositoryJson(urls: RepoUrls): Json {
  const { owner, name } = urls.repo;
  const apiBase = urls.api.replace(/\/repos\/[^/]+\/[^/]+$/, '');
  const id = numberOf(`${owner}/${name}`.toLowerCase());
  return {
    id,
    node_id: nodeId('Repository', id),
    name,
    full_name: `${owner}/${name}`,
    private: true,
    owner: {
      login: owner,
      id: numberOf(owner.toLowerCase()),
      node_id: nodeId('Organization', owner),
      avatar_url: `https://avatars.githubusercontent.com/${owner}`,
      url: `${apiBase}/users/${owner}`,
      html_url: `https://github.com/${owner}`,
      type: 'Organization',
      site_admin: false,
    },
    html_url: urls.web,
    description: null,
    fork: false,
    url: urls.api,
    commits_url: `${urls.api}/commits{/sha}`,
    statuses_url: `${urls.api}/statuses/{sha}`,
  };
}

/** GET /repos/{owner}/{repo}/commits/{ref}/status, with `statuses` the page asked for and `total_count` all of them. */
export function combinedStatusJson(
  urls: RepoUrls,
  sha: string,
  all: CommitStatusRecord[],
  page: CommitStatusRecord[],
): Json {
  return {
    state: combinedState(all),
    statuses: page.map((s) => statusJson(urls, s)),
    sha,
    total_count: all.length,
    repository: repositoryJson(urls),
    commit_url: `${urls.api}/commits/${sha}`,
    url: `${urls.api}/commits/${sha}/status`,
  };
}
