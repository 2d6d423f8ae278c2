/**
 * How a head commit relates to a base (GitHub's compare status): `ahead` means head has commits base
 * lacks and none the other way. `unknown` when GitHub does not know one of them.
 */
export type CommitRelation = 'ahead' | 'behind' | 'identical' | 'diverged' | 'unknown';

/** "Compare base...head"; base may be a branch name. */
export interface CommitQuestion {
  base: string;
  head: string;
}

export type CommitAnswers = Record<string, CommitRelation>;

export const questionKey = (q: CommitQuestion): string => `${q.base}...${q.head}`;

/** Answers about two fixed commits never change, unlike answers about a branch. */
export const isImmutable = (q: CommitQuestion, branch: string): boolean => q.base !== branch;

/**
 * The one rule for matching commits written in full or abbreviated (rejections, approvals, manual
 * requests): one is a prefix of the other, whatever the case of its hex digits.
 */
export const sameCommit = (a: string, b: string): boolean => {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x.startsWith(y) || y.startsWith(x);
};
