/** One change of state worth telling people about, once. */
export type NoticeKind =
  | 'promotion-started'
  | 'promotion-succeeded'
  | 'promotion-failed'
  | 'promotion-withdrawn'
  | 'verification-failed'
  | 'rollback'
  | 'paused'
  | 'resumed'
  | 'frozen'
  | 'unfrozen'
  | 'blocked'
  | 'unblocked'
  | 'held'
  | 'released';

export interface Notice {
  kind: NoticeKind;
  service: string;
  /** One line a person reads in a channel. */
  text: string;
  at: string;
  stage?: string;
  commit?: string | null;
}

/**
 * A pair's holding gates as one comparable key: a notice goes out when the set changes, never
 * again while the same gates keep holding.
 */
export const holdingKey = (gates: readonly string[]): string => [...gates].sort().join(',');
