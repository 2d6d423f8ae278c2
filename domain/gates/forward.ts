import { artifactKind, artifactOf } from '../artifact';
import { questionKey } from '../commits';
import { shortSha } from '../observation';
import { hold, pass, type Verdict } from '../verdict';
import type { Candidate, GateContext } from './gate';

/**
 * A promotion only moves a stage forward in history: a newer target (a hotfix) is never overwritten,
 * and neither is a target whose commit nobody can know (a tarball slug, an image pushed without a commit):
 * it may be newer than anything upstream. A target running nothing yet may receive its first release.
 */
export function forwardGate({ pair, source, target }: Candidate, { commits }: GateContext): Verdict {
  if (!target) return pass('forward', `${pair.to} runs no release yet`);
  if (!target.commit) {
    return hold(
      'forward',
      `${pair.to} runs v${target.version} whose commit is unknown: promote by hand (--skip-gates) to overwrite it`,
    );
  }
  if (!source.commit)
    return hold('forward', `v${source.version} has no commit recorded on its ${artifactKind(artifactOf(source))}`);
  const [from, to] = [shortSha(source.commit), shortSha(target.commit)];
  switch (commits[questionKey({ base: target.commit, head: source.commit })]) {
    case 'ahead':
      return pass('forward', `${from} is ahead of ${to} on ${pair.to}`);
    case 'behind':
      return hold('forward', `${pair.to} runs ${to}, newer than ${from}; it is not overwritten`);
    case 'identical':
      return hold('forward', `${pair.to} already runs commit ${to} (another build)`);
    case 'diverged':
      return hold('forward', `${from} and ${to} on ${pair.to} have diverged`);
    case 'unknown':
      return hold('forward', `GitHub cannot compare ${to}...${from}`);
    default:
      return hold('forward', `not yet compared ${to}...${from}`);
  }
}
