import type { WebhookAnswer } from '../checks';
import { hold, pass, type Verdict } from '../verdict';
import type { Gate } from './gate';

/** Passes only when the webhook answered {ok: true}; no answer, or an answer it cannot read, holds (fail closed). */
export function webhookVerdict({ url, ok, reason, error }: WebhookAnswer): Verdict {
  if (error !== undefined || ok === null) return hold('webhook', `cannot ask ${url}: ${error ?? 'no answer'}`);
  const why = reason ? `: ${reason}` : '';
  return ok ? pass('webhook', `${url} said ok${why}`) : hold('webhook', `${url} said no${why}`);
}

/** The team's own check, asked for the target stage where configured. */
export const webhookGate: Gate = ({ pair }, { health }) =>
  health[pair.to]?.webhook ? webhookVerdict(health[pair.to].webhook!) : null;
