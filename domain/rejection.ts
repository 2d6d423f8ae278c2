import { sameCommit } from './commits';
/** A release an operator declared bad: it is never promoted until un-rejected. */
export interface Rejection {
  /** Full or abbreviated (7+ hex digits) commit sha. */
  commit: string;
  reason: string;
  by: string;
  at: string;
}

export const COMMIT_PREFIX = /^[0-9a-f]{7,40}$/;

export { sameCommit } from './commits';

export const rejects = (rejection: Rejection, commit: string | null): boolean =>
  !!commit && sameCommit(commit, rejection.commit);
