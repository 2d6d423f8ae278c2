import { ApplicationFailure } from '@temporalio/activity';

/** Statuses that will not change by asking again: a person must act (token, name, input). */
const PERMANENT = new Set([400, 401, 402, 403, 404, 409, 422]);

interface HttpError {
  statusCode?: number;
  status?: number;
  body?: unknown;
  message?: string;
}

/**
 * Turns an HTTP client's error into a Temporal failure: permanent ones are non-retryable so the
 * workflow can show the pipeline blocked; the rest are retried with backoff.
 */
export function classify(service: 'Heroku' | 'GitHub', call: string, error: unknown): never {
  const e = error as HttpError;
  const status = e.statusCode ?? e.status;
  const body = e.body as { id?: string; message?: string } | undefined;
  const detail = body?.message ?? e.message ?? String(error);
  const text = status ? `${service} answered ${status}${body?.id ? ` ${body.id}` : ''} to ${call}: ${detail}` : `${service} unreachable for ${call}: ${detail}`;
  if (status && PERMANENT.has(status)) throw ApplicationFailure.nonRetryable(text, `${service}Rejected`);
  throw ApplicationFailure.retryable(text, status === 429 ? `${service}RateLimited` : `${service}Unavailable`);
}
