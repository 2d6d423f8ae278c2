// Human and platform checks: what to ask (policies) and what was answered (facts).
// Plain data only: both travel through workflow history, so nothing here is a secret.

/** 'block' holds a promotion into a stage that would drop requests; 'warn' only says so. */
export type ZeroDowntimeMode = 'block' | 'warn';

/** Whether a stage can take a release without dropping requests: enough web dynos, and preboot. */
export interface ZeroDowntimeFacts {
  app: string;
  /** 0 when the app has no web process type; null when it could not be read. */
  webDynos: number | null;
  /** Null when unknown, or when the generation has no preboot (then `noPreboot` says which). */
  preboot: boolean | null;
  /**
   * The app's generation lacks preboot (Heroku's `unsupported_features` of it, e.g. Fir, whose
   * Private Spaces replace dynos in a rolling way): only the web dynos count.
   */
  noPreboot?: string;
  /** The app could not be read; the gate then fails closed (in block mode). */
  error?: string;
}

export type CheckRunStatus = 'queued' | 'in_progress' | 'completed';
export type CommitStatusState = 'pending' | 'success' | 'failure' | 'error';

/** What GitHub reports for one commit: its check runs (Actions, apps) and commit statuses (older CIs). */
export interface CiFacts {
  commit: string;
  checkRuns: { name: string; status: CheckRunStatus; conclusion: string | null }[];
  statuses: { context: string; state: CommitStatusState }[];
  /** GitHub could not say (an unknown commit); the gate then fails closed. */
  error?: string;
}

export const DEFAULT_WEBHOOK_SECRET_ENV = 'CONVEYOR_WEBHOOK_SECRET';

/** A company endpoint asked before each promotion; it answers {ok, reason?}. */
export interface WebhookPolicy {
  url: string;
  /** Name of the worker's environment variable holding the HMAC secret (the secret never enters history). */
  secretEnv: string;
  timeoutMs: number;
}

/** What the webhook is told about the promotion it is asked to allow. */
export interface WebhookBody {
  service: string;
  /** Source and target app. */
  source: string;
  target: string;
  /** The source release's version. */
  release: number;
  commit: string | null;
}

/** How the webhook answered: ok null when no usable answer came (then `error` says why). */
export interface WebhookAnswer {
  url: string;
  ok: boolean | null;
  reason?: string;
  /** The HTTP status, when one came. */
  status?: number;
  error?: string;
  ms: number;
}
