import { newSha, timestamp } from '../ids';

/** A git repository as GitHub's compare sees it: commits linked to their parents, and branch heads. */

export interface CommitRecord {
  sha: string;
  /** Oldest parent first; empty for a root commit. */
  parents: string[];
  message: string;
  author: { name: string; email: string };
  date: string;
  tree: string;
}

export interface RepoRecord {
  owner: string;
  name: string;
  defaultBranch: string;
  /** Branch name to head sha. */
  branches: Record<string, string>;
  commits: Record<string, CommitRecord>;
}

export type CompareStatus = 'ahead' | 'behind' | 'identical' | 'diverged';

export interface Comparison {
  status: CompareStatus;
  /** Commits reachable from head and not from base. */
  aheadBy: number;
  /** Commits reachable from base and not from head. */
  behindBy: number;
  mergeBase: CommitRecord;
  /** The `aheadBy` commits, oldest first, as GitHub lists them. */
  commits: CommitRecord[];
}

const AUTHOR = { name: 'Sandbox Engineer', email: 'engineer@example.com' };

function makeCommit(parents: string[], message: string): CommitRecord {
  return { sha: newSha(), parents, message, author: AUTHOR, date: timestamp(), tree: newSha() };
}

/** A repository with one root commit on `branch`. */
export function newRepo(fullName: string, branch: string, message: string): RepoRecord {
  const [owner, name] = fullName.split('/');
  const root = makeCommit([], message);
  return { owner, name, defaultBranch: branch, branches: { [branch]: root.sha }, commits: { [root.sha]: root } };
}

/**
 * Commits on `branch` and moves its head. The parent is the branch head, or `from` (a sha) for a
 * branch that does not exist yet; a branch that exists always grows from its own head.
 */
export function commitOn(repo: RepoRecord, branch: string, message: string, from?: string): CommitRecord {
  const parent = repo.branches[branch] ?? from;
  if (!parent || !repo.commits[parent])
    throw new Error(`${repo.owner}/${repo.name}: branch ${branch} has no head to commit on`);
  const commit = makeCommit([parent], message);
  repo.commits[commit.sha] = commit;
  repo.branches[branch] = commit.sha;
  return commit;
}

/** A branch name, a full sha, or a unique abbreviation of at least 7 hex digits. */
export function resolveRef(repo: RepoRecord, ref: string): CommitRecord | undefined {
  const head = repo.branches[ref];
  if (head) return repo.commits[head];
  if (!/^[0-9a-f]{7,40}$/i.test(ref)) return undefined;
  const prefix = ref.toLowerCase();
  const matches = Object.keys(repo.commits).filter((sha) => sha.startsWith(prefix));
  return matches.length === 1 ? repo.commits[matches[0]] : undefined;
}

/** Every commit reachable from `sha`, itself included. */
export function reachable(repo: RepoRecord, sha: string): Set<string> {
  const seen = new Set<string>();
  const todo = [sha];
  while (todo.length > 0) {
    const next = todo.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    todo.push(...(repo.commits[next]?.parents ?? []));
  }
  return seen;
}

/** Generation numbers (a root is 1, a commit is one more than its highest parent) of the given commits. */
function generations(repo: RepoRecord, shas: Iterable<string>): Map<string, number> {
  const known = new Map<string, number>();
  for (const start of shas) {
    const stack = [start];
    while (stack.length > 0) {
      const sha = stack[stack.length - 1];
      if (known.has(sha)) {
        stack.pop();
        continue;
      }
      const parents = repo.commits[sha]?.parents ?? [];
      const missing = parents.filter((p) => !known.has(p));
      if (missing.length > 0) {
        stack.push(...missing);
        continue;
      }
      known.set(sha, 1 + Math.max(0, ...parents.map((p) => known.get(p)!)));
      stack.pop();
    }
  }
  return known;
}

/**
 * `git log base..head` and its reverse, as GitHub's compare answers them; undefined when the two
 * commits share no history.
 */
export function compareCommits(repo: RepoRecord, base: CommitRecord, head: CommitRecord): Comparison | undefined {
  const fromBase = reachable(repo, base.sha);
  const fromHead = reachable(repo, head.sha);
  const common = [...fromHead].filter((sha) => fromBase.has(sha));
  if (common.length === 0) return undefined;

  const ahead = [...fromHead].filter((sha) => !fromBase.has(sha));
  const behindBy = [...fromBase].filter((sha) => !fromHead.has(sha)).length;
  const generation = generations(repo, [...common, ...ahead]);
  // The nearest common ancestor: no other common ancestor descends from it, so it has the highest generation.
  const mergeBase = common.reduce((best, sha) => (generation.get(sha)! > generation.get(best)! ? sha : best));
  const oldestFirst = (a: string, b: string) =>
    generation.get(a)! - generation.get(b)! || repo.commits[a].date.localeCompare(repo.commits[b].date);

  const status: CompareStatus =
    ahead.length === 0 && behindBy === 0
      ? 'identical'
      : behindBy === 0
        ? 'ahead'
        : ahead.length === 0
          ? 'behind'
          : 'diverged';
  return {
    status,
    aheadBy: ahead.length,
    behindBy,
    mergeBase: repo.commits[mergeBase],
    commits: ahead.sort(oldestFirst).map((sha) => repo.commits[sha]),
  };
}
