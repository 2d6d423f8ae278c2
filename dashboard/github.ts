// "What is going out": the commits between what a stage runs and what the stage before it runs,
// from GitHub's compare (octokit, against GitHub or the sandbox). Shas are immutable, so answers are
// kept; the cache is bounded.
import type { Octokit } from 'octokit';

export interface OutgoingCommit {
  sha: string;
  title: string;
  author: string | null;
  date: string | null;
  url: string | null;
}

export type GoingOut =
  | { ok: true; status: string; aheadBy: number; commits: OutgoingCommit[]; url: string | null }
  | { ok: false; problem: string };

const LIMIT = 500;

class Bounded<V> {
  private readonly map = new Map<string, V>();
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V): V {
    if (this.map.size >= LIMIT) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, value);
    return value;
  }
}

const firstLine = (message: string) => message.split('\n')[0].trim();

export class GitHubFacts {
  private readonly compares = new Bounded<GoingOut>();
  private readonly dates = new Bounded<string | null>();

  constructor(private readonly github: Octokit | null) {}

  get configured(): boolean {
    return this.github !== null;
  }

  /** Commits in `head` that `base` lacks, newest last (GitHub's order). */
  async goingOut(repo: string, base: string, head: string): Promise<GoingOut> {
    if (!this.github)
      return { ok: false, problem: 'GitHub is not configured for the dashboard (GITHUB_TOKEN, GITHUB_API_URL)' };
    const key = `${repo}|${base}...${head}`;
    const known = this.compares.get(key);
    if (known) return known;
    const [owner, name] = repo.split('/');
    try {
      const { data } = await this.github.rest.repos.compareCommitsWithBasehead({
        owner,
        repo: name,
        basehead: `${base}...${head}`,
        per_page: 50,
      });
      const commits = data.commits.map((c) => ({
        sha: c.sha,
        title: firstLine(c.commit.message),
        author: c.commit.author?.name ?? c.author?.login ?? null,
        date: c.commit.committer?.date ?? c.commit.author?.date ?? null,
        url: c.html_url ?? null,
      }));
      for (const c of commits) if (c.date) this.dates.set(`${repo}|${c.sha}`, c.date);
      return this.compares.set(key, {
        ok: true,
        status: data.status,
        aheadBy: data.ahead_by,
        commits,
        url: data.html_url ?? null,
      });
    } catch (error) {
      // Not kept: GitHub may answer next time.
      const status = (error as { status?: number }).status;
      return {
        ok: false,
        problem: `GitHub compare ${repo} ${base.slice(0, 7)}...${head.slice(0, 7)} failed${status ? ` (${status})` : ''}: ${(error as Error).message}`,
      };
    }
  }

  /** When a commit was made (merged, for a merge commit); null when GitHub does not say. */
  async commitDate(repo: string, sha: string): Promise<string | null> {
    const key = `${repo}|${sha}`;
    const known = this.dates.get(key);
    if (known !== undefined) return known;
    if (!this.github) return null;
    const [owner, name] = repo.split('/');
    try {
      const { data } = await this.github.rest.repos.getCommit({ owner, repo: name, ref: sha });
      return this.dates.set(key, data.commit.committer?.date ?? data.commit.author?.date ?? null);
    } catch {
      return null;
    }
  }
}
