import type { WebhookAnswer } from '../checks';
import { hold, pass, type Verdict } from '../verdict';

/** Passes only when the webhook answered {ok: true}; no answer, or an answer it cannot read, holds (fail closed). */
export function webhookVerdict({ url, ok, reason, error }: WebhookAnswer): Verdict {
  if (error !== undefined || ok === null) return hold('webhook', `cannot ask ${url}: ${error ?? 'no answer'}`);
  const why = reason ? `: ${reason}` : '';
  return ok ? pass('webhook', `${url} said ok${why}`) : hold('webhook', `${url} said no${why}`);
}
