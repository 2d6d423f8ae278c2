import type { CommitRecord, Comparison, RepoRecord } from './commit-graph';

/** GitHub REST's JSON for commits, branches and comparisons (the fields octokit's types name). */

export type Json = Record<string, unknown>;

const WEB = 'https://github.com';

/** Where the API and the web pages of one repository live. */
export class RepoUrls {
  readonly api: string;
  readonly web: string;

  constructor(
    apiBase: string,
    readonly repo: RepoRecord,
  ) {
    this.api = `${apiBase}/repos/${repo.owner}/${repo.name}`;
    this.web = `${WEB}/${repo.owner}/${repo.name}`;
  }
}

const nodeId = (kind: string, key: string) => Buffer.from(`${kind}:${key}`).toString('base64');

export function commitJson(urls: RepoUrls, commit: CommitRecord): Json {
  const person = { name: commit.author.name, email: commit.author.email, date: commit.date };
  return {
    sha: commit.sha,
    node_id: nodeId('Commit', commit.sha),
    commit: {
      author: person,
      committer: person,
      message: commit.message,
      tree: { sha: commit.tree, url: `${urls.api}/git/trees/${commit.tree}` },
      url: `${urls.api}/git/commits/${commit.sha}`,
      comment_count: 0,
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    },
    url: `${urls.api}/commits/${commit.sha}`,
    html_url: `${urls.web}/commit/${commit.sha}`,
    comments_url: `${urls.api}/commits/${commit.sha}/comments`,
    author: null,
    committer: null,
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${urls.api}/commits/${sha}`,
      html_url: `${urls.web}/commit/${sha}`,
    })),
  };
}

/** GET /repos/{owner}/{repo}/commits/{ref}: a commit with its (empty) change statistics. */
export function commitDetailJson(urls: RepoUrls, commit: CommitRecord): Json {
  return { ...commitJson(urls, commit), stats: { total: 0, additions: 0, deletions: 0 }, files: [] };
}

export function branchJson(urls: RepoUrls, name: string, head: CommitRecord): Json {
  const path = encodeURIComponent(name);
  return {
    name,
    commit: commitJson(urls, head),
    _links: { self: `${urls.api}/branches/${path}`, html: `${urls.web}/tree/${name}` },
    protected: false,
    protection: { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
    protection_url: `${urls.api}/branches/${path}/protection`,
  };
}

export interface ComparedRefs {
  /** As the client wrote them (branch names or shas). */
  base: string;
  head: string;
  baseCommit: CommitRecord;
  headCommit: CommitRecord;
}

/** The compare answer; `commits` is the page of the comparison's commits to include. */
export function comparisonJson(
  urls: RepoUrls,
  refs: ComparedRefs,
  comparison: Comparison,
  commits: CommitRecord[],
): Json {
  const basehead = `${refs.base}...${refs.head}`;
  const owner = urls.repo.owner;
  return {
    url: `${urls.api}/compare/${basehead}`,
    html_url: `${urls.web}/compare/${basehead}`,
    permalink_url: `${urls.web}/compare/${owner}:${refs.baseCommit.sha.slice(0, 7)}...${owner}:${refs.headCommit.sha.slice(0, 7)}`,
    diff_url: `${urls.web}/compare/${basehead}.diff`,
    patch_url: `${urls.web}/compare/${basehead}.patch`,
    base_commit: commitJson(urls, refs.baseCommit),
    merge_base_commit: commitJson(urls, comparison.mergeBase),
    status: comparison.status,
    ahead_by: comparison.aheadBy,
    behind_by: comparison.behindBy,
    total_commits: comparison.aheadBy,
    commits: commits.map((commit) => commitJson(urls, commit)),
    files: [],
  };
}
