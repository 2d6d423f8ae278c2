import type { Octokit } from 'octokit';
import { questionKey, type CommitAnswers, type CommitQuestion, type CommitRelation } from '../domain/commits';
import { classify, jsonAnswer } from './errors';
import { Lru } from '../domain/lru';

const SHA = /^[0-9a-f]{40}$/;
const RELATIONS = new Set<CommitRelation>(['ahead', 'behind', 'identical', 'diverged']);

/** GitHub adapter: answers how commits relate, through octokit's compare endpoint. */
export function githubActivities(github: Octokit) {
  const settled = new Lru<string, CommitRelation>(10_000);

  async function relation(owner: string, repo: string, q: CommitQuestion): Promise<CommitRelation> {
    const key = `${owner}/${repo}:${questionKey(q)}`;
    const known = settled.get(key);
    if (known) return known;
    try {
      // octokit hands a 2xx body that is not JSON over as a string: never take it for a comparison.
      const { data } = await github.rest.repos.compareCommitsWithBasehead({
        owner,
        repo,
        basehead: questionKey(q),
        per_page: 1,
      });
      jsonAnswer('GitHub', `compare ${owner}/${repo} ${questionKey(q)}`, data);
      const status = RELATIONS.has(data.status) ? (data.status as CommitRelation) : 'unknown';
      // Two fixed commits relate the same way for ever; a branch moves.
      if (SHA.test(q.base) && SHA.test(q.head)) settled.set(key, status);
      return status;
    } catch (error) {
      if ((error as { status?: number }).status === 404) return 'unknown';
      classify('GitHub', `compare ${owner}/${repo} ${questionKey(q)}`, error);
    }
  }

  async function compareCommits(input: { repo: string; questions: CommitQuestion[] }): Promise<CommitAnswers> {
    const [owner, repo] = input.repo.split('/');
    const answers: CommitAnswers = {};
    for (const q of input.questions) answers[questionKey(q)] = await relation(owner, repo, q);
    return answers;
  }

  return { compareCommits };
}
