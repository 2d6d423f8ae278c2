import type { Verdict } from '../verdict';
import { ageGate } from './age';
import { waveGate } from './wave';
import { allowGate } from './allow';
import { branchGate } from './branch';
import { forwardGate } from './forward';
import { alertsGate } from './alerts';
import { approvalGate } from './approval';
import { ciGate } from './ci';
import { incidentGate } from './incident';
import { urlsGate } from './urls';
import { webhookGate } from './webhook';
import { windowGate } from './window';
import { zeroDowntimeGate } from './zero-downtime';
import type { Candidate, Gate, GateContext } from './gate';

export type { Candidate, Gate, GateContext, TargetHealth } from './gate';

/** The gates every candidate passes through, in the order status shows them. */
export const standardGates: readonly Gate[] = [
  allowGate,
  windowGate,
  ageGate,
  waveGate,
  branchGate,
  forwardGate,
  ciGate,
  incidentGate,
  alertsGate,
  urlsGate,
  zeroDowntimeGate,
  webhookGate,
  approvalGate,
];

export interface Judgement {
  verdicts: Verdict[];
  ok: boolean;
  /** The earliest moment a closed time-based gate opens on its own. */
  recheckAt?: string;
}

/** Every gate's verdict on a candidate; it may move only when all are ok. */
export function judge(candidate: Candidate, context: GateContext, gates: readonly Gate[] = standardGates): Judgement {
  const verdicts = gates.map((gate) => gate(candidate, context)).filter((v): v is Verdict => v !== null);
  const ok = verdicts.every((v) => v.ok);
  const rechecks = verdicts.filter((v) => !v.ok && v.recheckAt).map((v) => v.recheckAt!);
  rechecks.sort();
  return rechecks.length && !ok ? { verdicts, ok, recheckAt: rechecks[0] } : { verdicts, ok };
}
