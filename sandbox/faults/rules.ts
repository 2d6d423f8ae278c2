import { z } from 'zod';

/** What a fault rule is, and the checks an injected rule goes through (in-process and over HTTP alike). */

export const FAULT_KINDS = [
  'error',
  'rate-limit-storm',
  'latency',
  'reset',
  'reset-after',
  'malformed',
  'truncated',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** The statuses an `error` fault answers with: 5xx, and 401/403 as after a rotated or revoked token. */
export const FAULT_STATUSES = [500, 502, 503, 504, 401, 403] as const;

export type FaultApi = 'heroku' | 'github';

/** A fault to inject, as `faults.inject` and POST /_sandbox/faults/inject take it. */
export interface FaultRule {
  /** Names the rule for `clear(id)` and in `list()`; `fault-<n>` by default. */
  id?: string;
  /** Only this API's calls (with no `endpoint`: every endpoint of one API). */
  api?: FaultApi;
  /**
   * The endpoint, as `requestCounts()` names it: "GET /pipelines/{id}/latest-releases",
   * "POST /pipeline-promotions", "GET /github/repos/{owner}/{repo}/compare/{basehead}".
   * Absent: every endpoint (of `api`, when given).
   */
  endpoint?: string;
  kind: FaultKind;
  /** Probability that a matching call gets the fault, 0..1 (default 1). */
  rate?: number;
  /** Applies at most this many times (default: no limit). */
  count?: number;
  /** `error` only: 500, 502, 503 (default), 504, or 401/403 (a token rotated or revoked). */
  status?: (typeof FAULT_STATUSES)[number];
  /** `latency` only (required): how long to wait before the call goes on, in ms. */
  delayMs?: number;
}

const ENDPOINT = /^(GET|POST|PUT|PATCH|DELETE) \/\S*$/;

export const faultRuleInput = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be 1-100 letters, digits, ".", "_", ":" or "-"')
      .optional(),
    api: z.enum(['heroku', 'github']).optional(),
    endpoint: z
      .string()
      .regex(ENDPOINT, 'must be "METHOD /template", e.g. "GET /pipelines/{id}/latest-releases"')
      .optional(),
    kind: z.enum(FAULT_KINDS),
    rate: z.number().min(0).max(1).optional(),
    count: z.number().int().min(1).optional(),
    status: z.union(FAULT_STATUSES.map((s) => z.literal(s))).optional(),
    delayMs: z.number().int().min(0).max(600_000).optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.status !== undefined && rule.kind !== 'error')
      ctx.addIssue({ code: 'custom', path: ['status'], message: 'applies to kind "error" only' });
    if (rule.kind === 'latency' && rule.delayMs === undefined)
      ctx.addIssue({ code: 'custom', path: ['delayMs'], message: 'is required for kind "latency"' });
    if (rule.delayMs !== undefined && rule.kind !== 'latency')
      ctx.addIssue({ code: 'custom', path: ['delayMs'], message: 'applies to kind "latency" only' });
    if (rule.api && rule.endpoint && apiOf(rule.endpoint) !== rule.api)
      ctx.addIssue({ code: 'custom', path: ['endpoint'], message: `is not a ${rule.api} endpoint` });
  });

// The schema and the interface describe the same thing.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _sameInput: Same<Omit<z.input<typeof faultRuleInput>, never>, FaultRule> = true;
void _sameInput;

/** Which API an endpoint name belongs to. */
export const apiOf = (endpoint: string): FaultApi =>
  endpoint.split(' ')[1]?.startsWith('/github/') ? 'github' : 'heroku';

/** A rule as `list()` shows it: its settings with the defaults filled in, and what it did. */
export interface FaultRuleState {
  id: string;
  api: FaultApi | null;
  /** null: every endpoint. */
  endpoint: string | null;
  kind: FaultKind;
  rate: number;
  /** null: no limit. */
  count: number | null;
  status: number | null;
  delayMs: number | null;
  /** Calls to its endpoint(s) that came to it (another rule answering first stops them earlier). */
  matched: number;
  /** Times it applied its fault. */
  fired: number;
  /** `count` reached: it fires no more (but is listed until cleared). */
  exhausted: boolean;
}

/** What faults did since the sandbox started (or `resetTotals()`), for a chaos run's report. */
export interface FaultTotals {
  /** The seed of the faults' randomness: start a sandbox with it to replay the run. */
  seed: number;
  fired: number;
  byKind: Partial<Record<FaultKind, number>>;
  /** Per endpoint (as `requestCounts()` names it) and kind. */
  byEndpoint: Record<string, Partial<Record<FaultKind, number>>>;
}
