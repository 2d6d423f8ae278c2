import { approvalVerdict } from '../approval';
import { stagePolicy } from '../service';
import { ciVerdict } from './ci';
import type { Gate } from './gate';
import { webhookVerdict } from './webhook';
import { zeroDowntimeVerdict } from './zero-downtime';

/** The human and platform gates apply where configured, over facts gathered for the target stage. */
export const approvalGate: Gate = ({ pair, source }, { service, approvals, now }) => {
  const policy = stagePolicy(service, pair.to).approval;
  if (!policy) return null;
  return approvalVerdict(pair.to, source.commit, [...(approvals?.given ?? [])], approvals?.waiting[pair.to], now, policy);
};

export const zeroDowntimeGate: Gate = ({ pair }, { health }) => {
  const facts = health[pair.to]?.zeroDowntime;
  return facts ? zeroDowntimeVerdict(pair.to, facts, facts.mode) : null;
};

export const ciGate: Gate = ({ pair }, { health }) => (health[pair.to]?.ci ? ciVerdict(health[pair.to].ci!) : null);

export const webhookGate: Gate = ({ pair }, { health }) => (health[pair.to]?.webhook ? webhookVerdict(health[pair.to].webhook!) : null);
