import { questionKey } from '../commits';
import { shortSha } from '../observation';
import { hold, pass, type Verdict } from '../verdict';
import type { Candidate, GateContext } from './gate';

/** Only commits that are on the service's branch move: a branch deployed to staging stays there. */
export function branchGate({ source }: Candidate, { service, commits }: GateContext): Verdict {
  if (!source.commit) return hold('branch', `v${source.version} has no commit recorded on its slug`);
  const sha = shortSha(source.commit);
  switch (commits[questionKey({ base: service.branch, head: source.commit })]) {
    case 'behind':
    case 'identical':
      return pass('branch', `${sha} is on ${service.branch}`);
    case 'ahead':
    case 'diverged':
      return hold('branch', `${sha} is not on ${service.branch}`);
    case 'unknown':
      return hold('branch', `GitHub does not know ${sha} in ${service.repo}`);
    default:
      return hold('branch', `not yet checked whether ${sha} is on ${service.branch}`);
  }
}
