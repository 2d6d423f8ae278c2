import type { Approval, WaitingApproval } from './approval';
import type { CommitAnswers } from './commits';
import type { Freeze } from './freeze';
import { judge, type Candidate, type Judgement, type TargetHealth } from './gates';
import { ageGate } from './gates/age';
import { waveGate } from './gates/wave';
import { allowGate } from './gates/allow';
import { branchGate } from './gates/branch';
import { forwardGate } from './gates/forward';
import type { Gate, GateContext } from './gates/gate';
import { windowGate } from './gates/window';
import { alertsGate } from './gates/alerts';
import { ciGate } from './gates/ci';
import { incidentGate } from './gates/incident';
import { urlsGate } from './gates/urls';
import { webhookGate } from './gates/webhook';
import { zeroDowntimeGate } from './gates/zero-downtime';
import { hold, type Verdict } from './verdict';
import { shortSha } from './observation';
import { manualCandidate, overrule, type ManualPromotion } from './override';
import type { Pause } from './pause';
import type { PairPlan } from './plan';
import { stagePolicy, type Service } from './service';
import type { PairStatus } from './status';
import { iso } from './duration';
import { healthRequests } from './health-requests';
import { opensAhead } from './ahead';

/** A promotion the gates (or an operator) let through. */
export interface Go {
  candidate: Candidate;
  /** Decided ahead of the moment its gates open on their own (ahead.ts): its POST waits until then. */
  postAt?: number;
  manual?: ManualPromotion & { skippedGates: string[] };
}

/** The answer to a manual promotion, once a pass has decided it. */
export interface ManualOutcome {
  started: boolean;
  message: string;
  skippedGates?: string[];
  /** A request naming several apps: the answer for each, in the order asked ("started" only if all did). */
  targets?: TargetOutcome[];
}

export interface TargetOutcome extends Omit<ManualOutcome, 'targets'> {
  to: string;
}

/** Everything one decision looks at: the plan of a pass, its facts, and what the pipeline remembers. */
export interface DecisionInput {
  service: Service;
  plans: readonly PairPlan[];
  now: number;
  pause: Pause | null;
  /** Apps held alone after a failed verification in a wave, until a person resumes them. */
  held?: Readonly<Record<string, Pause>>;
  freeze: Freeze | null;
  commits: CommitAnswers;
  health: Readonly<Record<string, TargetHealth>>;
  approvals: readonly Approval[];
  /** Per stage, the commit that waited for approval at the last decision. */
  waiting: Readonly<Record<string, WaitingApproval>>;
  /** Operators' requests waiting for this decision, per target stage. */
  manual: ReadonlyMap<string, ManualPromotion>;
  /**
   * Target stages whose costly facts (CI, formation, incident, alerts, URLs, webhook) this pass did
   * not gather because a gate that needs no I/O held them (costlyFactsNeeded). Such a candidate never
   * goes on this pass: if those gates opened meanwhile, it is judged whole on the next.
   */
  deferred?: ReadonlySet<string>;
}

/**
 * The gates that need no I/O: a pause or freeze, the window, the age, and branch and forward on the
 * commit answers already known (compare answers about fixed commits are kept for good). A candidate
 * one of them holds would not move whatever CI, formation, incident, alerts, URLs or a webhook said.
 */
export const cheapGates: readonly Gate[] = [allowGate, windowGate, ageGate, waveGate, branchGate, forwardGate];

/** What costlyFactsNeeded looks at: the plan, the clock, the holds and the commit answers known. */
export type FactsInput = Pick<DecisionInput, 'service' | 'plans' | 'now' | 'pause' | 'held' | 'freeze' | 'commits'> & {
  /** Target stages an operator's request waits on: judged whole, since a request may overrule the cheap gates. */
  manual: Iterable<string>;
};

/** What the gates judge against: the service, the clock, its holds (a freeze unless it ignores them), commits and health. */
function gateContext(
  input: Pick<DecisionInput, 'service' | 'now' | 'pause' | 'held' | 'freeze' | 'commits'>,
  health: GateContext['health'],
): GateContext {
  return {
    service: input.service,
    now: input.now,
    pause: input.pause,
    ...(input.held ? { held: input.held } : {}),
    freeze: input.service.ignoreFreeze ? null : input.freeze,
    commits: input.commits,
    health,
  };
}

/**
 * Which candidates' target stages need their costly facts this pass, pure: those every cheap gate
 * lets through now or within the moments a promotion is decided ahead of them (ahead.ts), and those an
 * operator's request waits on. The rest are held by what costs nothing to know, so nothing is fetched
 * for them until that changes.
 */
export function costlyFactsNeeded(input: FactsInput): string[] {
  const manual = new Set(input.manual);
  const context = gateContext(input, {});
  const cheapOpen = (candidate: Candidate) => {
    const judged = judge(candidate, context, cheapGates);
    return judged.ok || opensAhead(candidate, context, judged, cheapGates) !== undefined;
  };
  return input.plans.flatMap((plan) =>
    plan.kind === 'candidate' && (manual.has(plan.pair.to) || cheapOpen(plan.candidate)) ? [plan.pair.to] : [],
  );
}

/** The gates that judge the costly facts gathered for a target stage. */
export const costlyGates: readonly Gate[] = [ciGate, incidentGate, alertsGate, urlsGate, zeroDowntimeGate, webhookGate];

/**
 * How many ticks the costly facts of a candidate are kept while they hold it: a target that runs
 * one web dyno, a red CI or an open incident do not change by the second. A change of the candidate
 * (another source or target release) reads them again at once; facts that let it through are never kept.
 */
export const HELD_FACTS_TICKS = 5;

/** Whether the costly facts gathered for a candidate's target hold it (one of the costly gates says no). */
export function heldByCostlyFacts(candidate: Candidate, health: TargetHealth, service: Service): boolean {
  const context = { service, now: 0, pause: null, freeze: null, commits: {}, health: { [candidate.pair.to]: health } };
  return judge(candidate, context, costlyGates).verdicts.some((v) => !v.ok);
}

/** A candidate judged without its costly facts (the cheap gates held when they were gathered) waits for the next pass. */
function unread(judgement: Judgement, now: number): Judgement {
  const verdict = hold('checks', 'CI and health checks not read yet: the gates that held opened meanwhile', now);
  return { verdicts: [...judgement.verdicts, verdict], ok: false, recheckAt: verdict.recheckAt };
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

const pairStatus = (plan: PairPlan, judgement: Judgement): PairStatus => {
  const base = { from: plan.pair.from, to: plan.pair.to, reason: plan.reason };
  return judgement.ok
    ? { ...base, state: 'ready', verdicts: judgement.verdicts }
    : { ...base, state: 'gated', verdicts: judgement.verdicts, recheckAt: judgement.recheckAt };
};

/** A pair whose promotion starts this pass (by hand, or decided ahead of its gates), with the verdicts of now. */
const ready = (plan: PairPlan, verdicts: Verdict[]): PairStatus => ({
  from: plan.pair.from,
  to: plan.pair.to,
  reason: plan.reason,
  state: 'ready',
  verdicts,
});

/** What each pair would do under `context` (conveyor plan): the gates' verdicts, nothing decided or spent. */
export const previewPairs = (plans: readonly PairPlan[], context: GateContext): PairStatus[] =>
  plans.map((plan) =>
    plan.kind === 'candidate'
      ? pairStatus(plan, judge(plan.candidate, context))
      : { from: plan.pair.from, to: plan.pair.to, reason: plan.reason, state: plan.kind, verdicts: [] },
  );

/** The facts a target's request carries, named as the gates that judge them. */
const FACT_GATES = ['ci', 'incident', 'alerts', 'urls', 'zeroDowntime', 'webhook'] as const;

/**
 * A gated pair names the gates configured for its target that gave no verdict because their facts
 * were not read (a cheaper gate held first), so a failing check is not first seen when a promotion
 * is refused.
 */
function withNotChecked(status: PairStatus, candidate: Candidate, input: DecisionInput): PairStatus {
  const heldFirstBy = status.verdicts.find((v) => !v.ok)?.gate;
  if (status.state !== 'gated' || !heldFirstBy) return status;
  const [request] = healthRequests(input.service, null, [candidate]);
  const judged = new Set(status.verdicts.map((v) => v.gate));
  const notChecked = FACT_GATES.filter((gate) => request?.[gate] && !judged.has(gate)).map((gate) => ({
    gate,
    heldFirstBy,
  }));
  return notChecked.length ? { ...status, notChecked } : status;
}

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
  const context = { ...gateContext(input, input.health), approvals: { given: approvals, waiting } };
  const start: Go[] = [];
  const answers: Record<string, ManualOutcome> = {};
  const pairs = input.plans.map((plan): PairStatus => {
    const manual = input.manual.get(plan.pair.to);
    if (plan.kind !== 'candidate') {
      if (manual)
        answers[plan.pair.to] = { started: false, message: `nothing to promote into ${plan.pair.to}: ${plan.reason}` };
      return { from: plan.pair.from, to: plan.pair.to, reason: plan.reason, state: plan.kind, verdicts: [] };
    }
    // Without its costly facts a candidate is never let through, by the gates or by hand.
    const whole = (candidate: Candidate) => {
      const judged = judge(candidate, context);
      return input.deferred?.has(plan.pair.to) && (judged.ok || manual) ? unread(judged, input.now) : judged;
    };
    const judgement = whole(plan.candidate);
    if (manual) {
      // Refused requests change nothing else: what the gates allow still goes.
      const asked = manualCandidate(plan.candidate, manual);
      const ruling =
        typeof asked === 'string'
          ? null
          : overrule(asked === plan.candidate ? judgement.verdicts : whole(asked).verdicts, manual);
      if (typeof asked === 'string') answers[plan.pair.to] = { started: false, message: asked };
      else if (ruling?.ok) {
        start.push({ candidate: asked, manual: { ...manual, skippedGates: ruling.skipped } });
        const skipped = ruling.skipped.length ? `; skipped ${ruling.skipped.join(', ')}` : '';
        answers[plan.pair.to] = {
          started: true,
          message: `promoting v${asked.source.version} (${shortSha(asked.source.commit)}) into ${plan.pair.to}${skipped}`,
          skippedGates: ruling.skipped,
        };
        return ready(plan, judgement.verdicts);
      } else if (ruling) {
        answers[plan.pair.to] = {
          started: false,
          message: `still held (use --skip-gates to overrule): ${ruling.holding.map((v) => `${v.gate}: ${v.reason}`).join('; ')}`,
        };
      }
    }
    if (judgement.ok) start.push({ candidate: plan.candidate });
    // Gates that open on their own within moments: decided now, posted then (ahead.ts). The pair
    // waits for no timer of its own; its promotion's end wakes the pipeline.
    const postAt = input.deferred?.has(plan.pair.to) ? undefined : opensAhead(plan.candidate, context, judgement);
    if (postAt !== undefined) {
      start.push({ candidate: plan.candidate, postAt });
      return ready(plan, judgement.verdicts);
    }
    return withNotChecked(pairStatus(plan, judgement), plan.candidate, input);
  });
  for (const stage of input.manual.keys())
    answers[stage] ??= { started: false, message: 'the pipeline has not been observed yet; nothing will happen' };
  return { pairs, start, answers, approvals, waiting };
}
