import { githubToken } from '../auth';
import { checkRunJson, combinedStatusJson } from './ci';
import { compareCommits, resolveRef, type CommitRecord, type RepoRecord } from './commit-graph';
import type { FaultHook } from '../faults/faults';
import { branchJson, commitDetailJson, comparisonJson, RepoUrls } from './json';
import { githubPage } from './page';
import { HttpError, raise, Router, type ApiRequest, type Reply, type RoutedCall } from '../http';
import { newId } from '../ids';
import type { Store } from '../store';

export interface GitHubApiOptions {
  store: Store;
  token: string;
  /** Where this API is served, e.g. http://127.0.0.1:PORT/github (for the URLs in its answers). */
  baseUrl: () => string;
  faults: FaultHook;
  /** Counts one request to an endpoint as it arrives (the request itself for `onRequest` listeners). */
  count(endpoint: string, request: ApiRequest): void;
}

const DOCS = 'https://docs.github.com/rest';

const githubError = (status: number, message: string): Reply => ({
  status,
  body: { message, documentation_url: DOCS, status: String(status) },
});

const notFound = (message = 'Not Found') => new HttpError(githubError(404, message));

/** GitHub's rate-limit headers, always far from the limit: the sandbox does not limit GitHub calls. */
const rateHeaders = (): Record<string, string> => ({
  'X-RateLimit-Limit': '5000',
  'X-RateLimit-Remaining': '4999',
  'X-RateLimit-Used': '1',
  'X-RateLimit-Reset': String(Math.floor(Date.now() / 1000) + 3600),
  'X-RateLimit-Resource': 'core',
  'X-GitHub-Api-Version-Selected': '2022-11-28',
});

/** Up to 250 commits when the client does not page; `per_page` (max 100) and `page` otherwise, as GitHub does. */
function commitPage(
  call: RoutedCall,
  commits: CommitRecord[],
  selfUrl: string,
): { commits: CommitRecord[]; link?: string } {
  const asked = call.query.has('per_page') || call.query.has('page');
  if (!asked) return { commits: commits.slice(0, 250) };
  const perPage = Math.min(100, Math.max(1, Number(call.query.get('per_page')) || 30));
  const pageNo = Math.max(1, Number(call.query.get('page')) || 1);
  const last = Math.max(1, Math.ceil(commits.length / perPage));
  const at = (n: number) => `<${selfUrl}?per_page=${perPage}&page=${n}>`;
  const links = [
    ...(pageNo < last ? [`${at(pageNo + 1)}; rel="next"`, `${at(last)}; rel="last"`] : []),
    ...(pageNo > 1 ? [`${at(1)}; rel="first"`, `${at(Math.min(pageNo - 1, last))}; rel="prev"`] : []),
  ];
  return {
    commits: commits.slice((pageNo - 1) * perPage, pageNo * perPage),
    link: links.length > 0 ? links.join(', ') : undefined,
  };
}

/** The GitHub REST endpoints conveyor uses: compare, branches, commits and their CI over the scenario's repositories. */
export function githubApi(options: GitHubApiOptions): (request: ApiRequest) => Promise<Reply> {
  const { store } = options;
  const repo = (call: RoutedCall): RepoRecord =>
    store.repo(`${call.params.owner}/${call.params.repo}`) ?? raise(notFound());
  const urls = (found: RepoRecord) => new RepoUrls(options.baseUrl(), found);
  const commit = (found: RepoRecord, ref: string): CommitRecord =>
    resolveRef(found, ref) ?? raise(notFound(`No commit found for SHA: ${ref}`));

  const router = new Router()
    .on('GET', '/repos/{owner}/{repo}/branches/{branch+}', (call) => {
      const found = repo(call);
      const head = found.branches[call.params.branch] ?? raise(notFound('Branch not found'));
      return { status: 200, body: branchJson(urls(found), call.params.branch, found.commits[head]) };
    })
    // Before /commits/{ref+}, which would otherwise take "<sha>/check-runs" for a ref.
    .on('GET', '/repos/{owner}/{repo}/commits/{ref+}/check-runs', (call) => {
      const found = repo(call);
      const { sha } = commit(found, call.params.ref);
      const [name, status] = [call.query.get('check_name'), call.query.get('status')];
      const runs = options.store
        .checkRunsOf(`${found.owner}/${found.name}`, sha)
        .filter((r) => (!name || r.name === name) && (!status || r.status === status));
      const where = urls(found);
      const paged = githubPage(call, runs, `${where.api}/commits/${call.params.ref}/check-runs`);
      const body = { total_count: runs.length, check_runs: paged.items.map((run) => checkRunJson(where, run)) };
      return { status: 200, body, headers: paged.link ? { Link: paged.link } : undefined };
    })
    .on('GET', '/repos/{owner}/{repo}/commits/{ref+}/status', (call) => {
      const found = repo(call);
      const { sha } = commit(found, call.params.ref);
      const statuses = options.store.statusesOf(`${found.owner}/${found.name}`, sha);
      const where = urls(found);
      const paged = githubPage(call, statuses, `${where.api}/commits/${call.params.ref}/status`);
      return {
        status: 200,
        body: combinedStatusJson(where, sha, statuses, paged.items),
        headers: paged.link ? { Link: paged.link } : undefined,
      };
    })
    .on('GET', '/repos/{owner}/{repo}/commits/{ref+}', (call) => {
      const found = repo(call);
      return { status: 200, body: commitDetailJson(urls(found), commit(found, call.params.ref)) };
    })
    .on('GET', '/repos/{owner}/{repo}/compare/{basehead+}', (call) => {
      const found = repo(call);
      const [base, head, ...rest] = call.params.basehead.split('...');
      if (head === undefined || rest.length > 0 || !base || !head) throw notFound();
      const baseCommit = resolveRef(found, base) ?? raise(notFound());
      const headCommit = resolveRef(found, head) ?? raise(notFound());
      const comparison =
        compareCommits(found, baseCommit, headCommit) ??
        raise(notFound(`No common ancestor between ${base} and ${head}.`));
      const where = urls(found);
      const paged = commitPage(call, comparison.commits, `${where.api}/compare/${call.params.basehead}`);
      const body = comparisonJson(where, { base, head, baseCommit, headCommit }, comparison, paged.commits);
      return { status: 200, body, headers: paged.link ? { Link: paged.link } : undefined };
    });

  return async (request) => {
    const matched = router.match(request.method, request.path);
    options.count(`${request.method} /github${matched?.route.template ?? ' (no such endpoint)'}`, request);
    if (githubToken(request.headers.authorization) !== options.token) return githubError(401, 'Bad credentials');
    let reply: Reply;
    if (!matched) reply = githubError(404, 'Not Found');
    else {
      const call: RoutedCall = { ...request, template: matched.route.template, params: matched.params };
      try {
        reply = await options.faults('github', call, async () => matched.route.handler(call));
      } catch (error) {
        if (!(error instanceof HttpError)) console.error('[sandbox] GitHub handler failed:', error);
        reply = error instanceof HttpError ? error.reply : githubError(500, 'Server Error');
      }
    }
    return { ...reply, headers: { ...rateHeaders(), ...reply.headers, 'X-GitHub-Request-Id': newId() } };
  };
}
