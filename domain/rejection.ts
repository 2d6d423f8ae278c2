/** A release an operator declared bad: it is never promoted until un-rejected. */
export interface Rejection {
  /** Full or abbreviated (7+ hex digits) commit sha. */
  commit: string;
  reason: string;
  by: string;
  at: string;
}

export const COMMIT_PREFIX = /^[0-9a-f]{7,40}$/;

/** One rule for matching commits written in full or abbreviated: one is a prefix of the other. */
export const sameCommit = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a);

export const rejects = (rejection: Rejection, commit: string | null): boolean =>
  !!commit && sameCommit(commit, rejection.commit);
