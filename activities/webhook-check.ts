import type { WebhookAnswer, WebhookBody, WebhookPolicy } from '../domain/checks';
import { fetchFailure } from './status';
import { SIGNATURE_HEADER, signBody } from './webhook-signature';

export { signBody, verifySignature, SIGNATURE_HEADER } from './webhook-signature';

export interface WebhookCheckOptions {
  /** Where the secrets are; the worker's environment by default. */
  env?: NodeJS.ProcessEnv;
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

/** `{ok, reason?}` as the webhook answered it, or why the answer does not count. */
function readAnswer(text: string): { ok: boolean; reason?: string } | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'answered something that is not JSON';
  }
  const { ok, reason } = (json ?? {}) as { ok?: unknown; reason?: unknown };
  if (typeof ok !== 'boolean') return 'answered JSON without "ok": true or false';
  return typeof reason === 'string' && reason.trim() ? { ok, reason: reason.trim() } : { ok };
}

/** Asks a company webhook whether a promotion may go: a signed POST; every failure becomes an answer, never an exception. */
export function webhookActivities(options: WebhookCheckOptions = {}) {
  const env = options.env ?? process.env;
  const fetcher = options.fetch ?? globalThis.fetch;

  async function webhookCheck({ policy, body }: { policy: WebhookPolicy; body: WebhookBody }): Promise<WebhookAnswer> {
    const { url, secretEnv, timeoutMs } = policy;
    const secret = env[secretEnv];
    if (!secret) return { url, ok: null, error: `${secretEnv} is not set in the worker's environment`, ms: 0 };

    const raw = JSON.stringify(body);
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    try {
      const response = await fetcher(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          [SIGNATURE_HEADER]: signBody(secret, raw),
        },
        body: raw,
        // A redirect would carry the signed body elsewhere: it counts as a non-2xx answer.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      const { status } = response;
      if (status < 200 || status > 299)
        return {
          url,
          ok: null,
          status,
          error: `answered ${status}${response.statusText ? ` ${response.statusText}` : ''}`,
          ms: ms(),
        };
      const answer = readAnswer(text);
      return typeof answer === 'string'
        ? { url, ok: null, status, error: answer, ms: ms() }
        : { url, ...answer, status, ms: ms() };
    } catch (error) {
      return { url, ok: null, error: fetchFailure(error, timeoutMs), ms: ms() };
    }
  }

  return { webhookCheck };
}
