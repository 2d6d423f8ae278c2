import { hold, pass, type Verdict } from '../verdict';
import { waveOpensAt, waveProgress } from '../wave-plan';
import type { Candidate, GateContext } from './gate';

/**
 * Into an app of a wave after one of several apps: opens once the release has soaked on as many
 * apps of the wave before as its rule needs (every app unless the services file says "any" or
 * "N of M"). It takes the age gate's place there: the soak is judged on every app, not on one.
 */
export function waveGate({ source, wave }: Candidate, { now }: GateContext): Verdict | null {
  if (!wave) return null;
  const progress = waveProgress(wave, now);
  const needs = `${wave.needed} of ${wave.apps.length} needed ("${wave.rule}")`;
  if (progress.soaked >= wave.needed)
    return pass('wave', `v${source.version} ${progress.label} in the wave before (${needs})`);
  const missing = wave.apps.filter((a) => a.soakedAt === null).map((a) => a.app);
  const soaking = wave.apps.filter((a) => a.soakedAt !== null && Date.parse(a.soakedAt) > now);
  const waiting = [
    ...soaking.map((a) => `${a.app} soaked at ${a.soakedAt!.replace(/\.\d{3}Z$/, 'Z')}`),
    ...(missing.length ? [`not running it yet: ${missing.join(', ')}`] : []),
  ].join('; ');
  return hold(
    'wave',
    `v${source.version} ${progress.label} in the wave before, ${needs}: ${waiting}`,
    waveOpensAt(wave),
  );
}
