import type { Octokit } from 'octokit';
import type { CheckRunStatus, CiFacts, CommitStatusState } from '../domain/checks';
import { shortSha } from '../domain/observation';
import { classify, jsonAnswer } from './errors';
import { Lru } from '../domain/lru';

const PER_PAGE = 100;

/** GitHub's waiting/requested/pending runs have not started either. */
const runStatus = (status: string): CheckRunStatus =>
  status === 'completed' || status === 'in_progress' ? status : 'queued';

/** Conclusions of a completed run that let a promotion through. */
const GREEN = new Set(['success', 'neutral', 'skipped']);

/**
 * Whether an answer can no longer change, so it is kept: every check run completed and every status
 * final, and all green. A failure is asked again (a re-run turns it green, and the release should go
 * at once); so is a commit with no report at all (CI may not have started) or anything still running.
 */
export function settledGreen(facts: CiFacts): boolean {
  if (facts.error || facts.checkRuns.length + facts.statuses.length === 0) return false;
  return (
    facts.checkRuns.every((r) => r.status === 'completed' && GREEN.has(r.conclusion ?? '')) &&
    facts.statuses.every((s) => s.state === 'success')
  );
}

/** GitHub adapter for the CI gate: check runs and commit statuses of one commit; completed answers are kept. */
export function ciActivities(github: Octokit) {
  const completed = new Lru<string, CiFacts>(5_000);
  async function checkRuns(owner: string, repo: string, ref: string): Promise<CiFacts['checkRuns']> {
    const runs: CiFacts['checkRuns'] = [];
    for (let page = 1; ; page++) {
      const { data } = await github.rest.checks.listForRef({ owner, repo, ref, per_page: PER_PAGE, page });
      // octokit hands a 2xx body that is not JSON over as a string: never take it for "no checks".
      jsonAnswer('GitHub', `check runs of ${owner}/${repo}@${shortSha(ref)}`, data);
      runs.push(
        ...data.check_runs.map((r) => ({
          name: r.name,
          status: runStatus(r.status),
          conclusion: r.conclusion ?? null,
        })),
      );
      if (data.check_runs.length < PER_PAGE || runs.length >= data.total_count) return runs;
    }
  }

  /** The combined status: the newest status of each context. */
  async function statuses(owner: string, repo: string, ref: string): Promise<CiFacts['statuses']> {
    const found: CiFacts['statuses'] = [];
    for (let page = 1; ; page++) {
      const { data } = await github.rest.repos.getCombinedStatusForRef({ owner, repo, ref, per_page: PER_PAGE, page });
      jsonAnswer('GitHub', `status of ${owner}/${repo}@${shortSha(ref)}`, data);
      found.push(...data.statuses.map((s) => ({ context: s.context, state: s.state as CommitStatusState })));
      if (data.statuses.length < PER_PAGE || found.length >= data.total_count) return found;
    }
  }

  /**
   * What CI reported for `commit`. A commit GitHub does not know is a fact with `error` (the gate
   * fails closed); bad credentials and outages are thrown, classified.
   */
  async function ciFacts(input: { repo: string; commit: string }): Promise<CiFacts> {
    const [owner, repo] = input.repo.split('/');
    const { commit } = input;
    const key = `${input.repo}@${commit}`;
    const known = completed.get(key);
    if (known) return known;
    try {
      const [runs, found] = await Promise.all([checkRuns(owner, repo, commit), statuses(owner, repo, commit)]);
      const facts = { commit, checkRuns: runs, statuses: found };
      if (settledGreen(facts)) completed.set(key, facts);
      return facts;
    } catch (error) {
      // GitHub answers an unknown sha with 404, or 422 "No commit found for SHA".
      const status = (error as { status?: number }).status;
      if (status === 404 || status === 422)
        return {
          commit,
          checkRuns: [],
          statuses: [],
          error: `GitHub does not know ${shortSha(commit)} in ${input.repo}`,
        };
      classify('GitHub', `CI of ${input.repo}@${shortSha(commit)}`, error);
    }
  }

  return { ciFacts };
}
