import type { Approval, WaitingApproval } from './approval';
import type { CommitAnswers } from './commits';
import type { Freeze } from './freeze';
import { judge, type Candidate, type Judgement, type TargetHealth } from './gates';
import { shortSha } from './observation';
import { manualCandidate, overrule, type ManualPromotion } from './override';
import type { Pause } from './pause';
import type { PairPlan } from './plan';
import { stagePolicy, type Service } from './service';
import type { PairStatus } from './status';

/** A promotion the gates (or an operator) let through. */
export interface Go {
  candidate: Candidate;
  manual?: ManualPromotion & { skippedGates: string[] };
}

/** The answer to a manual promotion, once a pass has decided it. */
export interface ManualOutcome {
  started: boolean;
  message: string;
  skippedGates?: string[];
}

/** Everything one decision looks at: the plan of a pass, its facts, and what the pipeline remembers. */
export interface DecisionInput {
  service: Service;
  plans: readonly PairPlan[];
  now: number;
  pause: Pause | null;
  freeze: Freeze | null;
  commits: CommitAnswers;
  health: Readonly<Record<string, TargetHealth>>;
  approvals: readonly Approval[];
  /** Per stage, the commit that waited for approval at the last decision. */
  waiting: Readonly<Record<string, WaitingApproval>>;
  /** Operators' requests waiting for this decision, per target stage. */
  manual: ReadonlyMap<string, ManualPromotion>;
}

/** What one pass decided; the pipeline state applies it, nothing else changes anything. */
export interface Decision {
  /** Each pair's state and verdicts, as status shows them. */
  pairs: PairStatus[];
  /** Promotions to start now. */
  start: Go[];
  /** The answer to every manual request that was waiting, per target stage. */
  answers: Record<string, ManualOutcome>;
  /** The approvals still standing (one lapses when a newer release replaces the one approved). */
  approvals: Approval[];
  /** Per stage that needs approval, the commit waiting for it, and since when. */
  waiting: Record<string, WaitingApproval>;
}

const iso = (ms: number) => new Date(ms).toISOString();

const pairStatus = (plan: PairPlan, judgement: Judgement): PairStatus => {
  const base = { from: plan.pair.from, to: plan.pair.to, reason: plan.reason };
  return judgement.ok
    ? { ...base, state: 'ready', verdicts: judgement.verdicts }
    : { ...base, state: 'gated', verdicts: judgement.verdicts, recheckAt: judgement.recheckAt };
};

/** Which commit waits for approval into each stage that needs one (kept since the first pass it waited). */
function waitingFor(input: DecisionInput): Record<string, WaitingApproval> {
  const waiting: Record<string, WaitingApproval> = {};
  for (const plan of input.plans) {
    if (
      plan.kind !== 'candidate' ||
      !plan.candidate.source.commit ||
      !stagePolicy(input.service, plan.pair.to).approval
    )
      continue;
    const commit = plan.candidate.source.commit;
    const before = input.waiting[plan.pair.to];
    waiting[plan.pair.to] = before?.commit === commit ? before : { stage: plan.pair.to, commit, since: iso(input.now) };
  }
  return waiting;
}

/**
 * The decision of one pass, pure: every candidate judged by the gates; an operator's request decided
 * against the release it was about (refused with the reason when that is gone, or when a gate it may
 * not overrule holds); every waiting request answered. Same input, same decision.
 */
export function decide(input: DecisionInput): Decision {
  const waiting = waitingFor(input);
  const approvals = input.approvals.filter((a) => !waiting[a.stage] || waiting[a.stage].commit === a.commit);
  const context = {
    service: input.service,
    now: input.now,
    pause: input.pause,
    freeze: input.service.ignoreFreeze ? null : input.freeze,
    commits: input.commits,
    health: input.health,
    approvals: { given: approvals, waiting },
  };
  const start: Go[] = [];
  const answers: Record<string, ManualOutcome> = {};
  const pairs = input.plans.map((plan): PairStatus => {
    const manual = input.manual.get(plan.pair.to);
    if (plan.kind !== 'candidate') {
      if (manual)
        answers[plan.pair.to] = { started: false, message: `nothing to promote into ${plan.pair.to}: ${plan.reason}` };
      return { from: plan.pair.from, to: plan.pair.to, reason: plan.reason, state: plan.kind, verdicts: [] };
    }
    const judgement = judge(plan.candidate, context);
    if (manual) {
      // Refused requests change nothing else: what the gates allow still goes.
      const asked = manualCandidate(plan.candidate, manual);
      const ruling =
        typeof asked === 'string'
          ? null
          : overrule(asked === plan.candidate ? judgement.verdicts : judge(asked, context).verdicts, manual);
      if (typeof asked === 'string') answers[plan.pair.to] = { started: false, message: asked };
      else if (ruling?.ok) {
        start.push({ candidate: asked, manual: { ...manual, skippedGates: ruling.skipped } });
        const skipped = ruling.skipped.length ? `; skipped ${ruling.skipped.join(', ')}` : '';
        answers[plan.pair.to] = {
          started: true,
          message: `promoting v${asked.source.version} (${shortSha(asked.source.commit)}) into ${plan.pair.to}${skipped}`,
          skippedGates: ruling.skipped,
        };
        return {
          from: plan.pair.from,
          to: plan.pair.to,
          reason: plan.reason,
          state: 'ready',
          verdicts: judgement.verdicts,
        };
      } else if (ruling) {
        answers[plan.pair.to] = {
          started: false,
          message: `still held (use --skip-gates to overrule): ${ruling.holding.map((v) => `${v.gate}: ${v.reason}`).join('; ')}`,
        };
      }
    }
    if (judgement.ok) start.push({ candidate: plan.candidate });
    return pairStatus(plan, judgement);
  });
  for (const stage of input.manual.keys())
    answers[stage] ??= { started: false, message: 'the pipeline has not been observed yet; nothing will happen' };
  return { pairs, start, answers, approvals, waiting };
}
