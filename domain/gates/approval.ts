import { approvalVerdict } from '../approval';
import { stagePolicy } from '../service';
import type { Gate } from './gate';

/** A person's yes to the release waiting at a stage that needs one (verdict logic in domain/approval.ts). */
export const approvalGate: Gate = ({ pair, source }, { service, approvals, now }) => {
  const policy = stagePolicy(service, pair.to).approval;
  if (!policy) return null;
  return approvalVerdict(
    pair.to,
    source.commit,
    [...(approvals?.given ?? [])],
    approvals?.waiting[pair.to],
    now,
    policy,
  );
};
