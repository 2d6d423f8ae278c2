import type { ZeroDowntimeFacts, ZeroDowntimeMode } from '../checks';
import { hold, pass, type Verdict } from '../verdict';
import type { Gate } from './gate';

const dynos = (n: number) => `${n} web dyno${n === 1 ? '' : 's'}`;

/** What keeps the stage from taking a release without dropping requests; empty when nothing does. */
function shortfalls(stage: string, { webDynos, preboot, noPreboot, error }: ZeroDowntimeFacts): string[] {
  if (error !== undefined) return [`cannot read the formation of ${stage}: ${error}`];
  if (noPreboot !== undefined) {
    if (webDynos === null) return [`${stage}'s web dynos are unknown`];
    return webDynos < 2 ? [`${stage} runs ${dynos(webDynos)} (${prebootAbsent(noPreboot)})`] : [];
  }
  const few =
    webDynos === null
      ? `${stage}'s web dynos are unknown`
      : webDynos < 2
        ? `${stage} runs ${dynos(webDynos)}`
        : undefined;
  const cold = preboot === null ? 'preboot is unknown' : preboot ? undefined : 'preboot is off';
  if (few) return cold ? [few, cold] : [few];
  return cold ? [`${cold} on ${stage}`] : [];
}

const prebootAbsent = (generation: string) =>
  generation === 'fir'
    ? 'preboot does not apply on Fir: Private Spaces replace dynos in a rolling way'
    : `preboot does not apply on ${generation}`;

/**
 * Passes when the target runs 2+ web dynos with preboot on, so a release swaps dynos without
 * dropping requests; on a generation without preboot (Fir), 2+ web dynos replaced in a rolling way.
 * In 'warn' mode a shortfall passes, marked as a warning.
 */
export function zeroDowntimeVerdict(stage: string, facts: ZeroDowntimeFacts, mode: ZeroDowntimeMode): Verdict {
  const found = shortfalls(stage, facts);
  if (!found.length && facts.noPreboot !== undefined)
    return pass('zeroDowntime', `${stage} runs ${dynos(facts.webDynos!)}; ${prebootAbsent(facts.noPreboot)}`);
  if (!found.length) return pass('zeroDowntime', `${stage} runs ${dynos(facts.webDynos!)} with preboot on`);
  const reason = found.join('; ');
  return mode === 'warn' ? pass('zeroDowntime', `warning: ${reason}`) : hold('zeroDowntime', reason);
}

/** Web dynos and preboot of the target, where checked (by default on apps coupled as production). */
export const zeroDowntimeGate: Gate = ({ pair }, { health }) => {
  const facts = health[pair.to]?.zeroDowntime;
  return facts ? zeroDowntimeVerdict(pair.to, facts, facts.mode) : null;
};
