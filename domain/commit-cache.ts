import { isImmutable, questionKey, type CommitAnswers, type CommitQuestion } from './commits';
import { commitQuestions, type PairPlan } from './plan';
import type { Service } from './service';

const COMMIT_CACHE_LIMIT = 500;

/** GitHub's answers that cannot change, kept across passes and runs so each is asked once. */
export class CommitCache {
  constructor(readonly answers: CommitAnswers = {}) {}

  /** GitHub questions the plan needs that are not answered for good already. */
  questions(service: Service, plans: readonly PairPlan[]): CommitQuestion[] {
    return commitQuestions(service, plans).filter((q) => !(questionKey(q) in this.answers));
  }

  /** Remembers answers that cannot change: two fixed commits, or a commit found on the branch. */
  learn(branch: string, questions: readonly CommitQuestion[], answers: CommitAnswers): void {
    for (const q of questions) {
      const answer = answers[questionKey(q)];
      const lasting = isImmutable(q, branch) ? answer !== 'unknown' : answer === 'behind' || answer === 'identical';
      if (answer && lasting) this.answers[questionKey(q)] = answer;
    }
    const keys = Object.keys(this.answers);
    for (const key of keys.slice(0, Math.max(0, keys.length - COMMIT_CACHE_LIMIT))) delete this.answers[key];
  }
}
