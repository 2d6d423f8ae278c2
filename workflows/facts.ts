import type { CommitAnswers } from '../domain/commits';
import { costlyFactsNeeded, HELD_FACTS_TICKS, heldByCostlyFacts } from '../domain/decision';
import type { Candidate } from '../domain/gates';
import type { TargetHealth } from '../domain/gates';
import type { PairPlan } from '../domain/plan';
import type { Service } from '../domain/service';
import type { HealthRequest, PipelineState } from './pipeline-state';
import {
  alertFacts,
  ciFacts,
  compareCommits,
  incidentFacts,
  urlFacts,
  webhookCheck,
  zeroDowntimeFacts,
} from './activities';

/**
 * Workflow changes behind patched(), read once per pass where the recorded histories first asked for
 * them (a marker's place among the commands matters on replay). Retiring them: see the README.
 */
export interface PassFeatures {
  waitForPendingTargets: boolean;
  platformChecks: boolean;
  /** Soak counted from when a release started running; the newest soaked release moves on. */
  soak: boolean;
  /** A decided promotion confirms its decision before its POST (and its facts are kept fresh). */
  confirm: boolean;
  /**
   * Pay only for what can change the answer (`pay-for-change`): one commit from two builds is in
   * sync, and the costly facts (CI, formation, incident, alerts, URLs, webhook) are gathered only for
   * candidates the gates that need no I/O let through (domain/decision.ts costlyFactsNeeded).
   */
  cheapFirst?: boolean;
}

/** What a pass knows once it has asked GitHub and the health sources: the plan and the facts its gates judge. */
export interface PassFacts {
  plans: PairPlan[];
  answers: CommitAnswers;
  health: Record<string, TargetHealth>;
  /** Candidates' target stages whose costly facts were not gathered: a cheap gate held them. */
  deferred: Set<string>;
}

/**
 * Gathers the facts of one pass over the observation the state holds: the GitHub answers the plan
 * needs (soak ancestry first, then branch and forward), and the health of every target stage that has
 * a candidate or a decided promotion waiting for its POST. Throws what an activity threw.
 */
export async function gatherFacts(state: PipelineState, service: Service, features: PassFeatures): Promise<PassFacts> {
  let answers: CommitAnswers = {};
  let health: Record<string, TargetHealth> = {};
  const slugOnly = !features.cheapFirst;
  const plan = (now?: number) => state.plan(features.waitForPendingTargets, now, service, slugOnly);
  let plans = plan(features.soak ? Date.now() : undefined);
  if (features.soak) {
    // Soak ancestry answers can change which release is the candidate: ask, then plan once more.
    for (let round = 0; round < 2; round++) {
      const questions = state.commits.questions(state.service, plans);
      if (questions.length === 0) break;
      const asked = await compareCommits({ repo: service.repo, questions });
      state.commits.learn(state.service.branch, questions, asked);
      answers = { ...answers, ...asked };
      plans = plan(Date.now());
    }
  }
  if (features.cheapFirst) return gatherCostly(state, service, features, plans, answers);
  // Workflows recorded before the CI, zero-downtime and webhook gates asked for none of them.
  const requests = state.healthRequests(plans, features.platformChecks, features.confirm);
  const questions = features.soak ? [] : state.commits.questions(state.service, plans);
  let asked = {};
  [asked, health] = await Promise.all([
    questions.length > 0 ? compareCommits({ repo: service.repo, questions }) : {},
    requests.length > 0 ? gatherHealth(requests) : {},
  ]);
  state.commits.learn(state.service.branch, questions, asked);
  answers = { ...answers, ...asked };
  state.learnHealth(health);
  return { plans, answers, health, deferred: new Set() };
}

const candidateKey = (config: number, { source, target }: Candidate) => `${config}:${source.id}>${target?.id ?? ''}`;

/**
 * Cheapest first: the commit answers, then the costly facts of the candidates the cheap gates let
 * through (and of decided promotions waiting for their POST). A signal or request that lands while
 * they are read can let another candidate through: its facts are read at once, in a second round.
 */
async function gatherCostly(
  state: PipelineState,
  service: Service,
  features: PassFeatures,
  plans: PairPlan[],
  known: CommitAnswers,
): Promise<PassFacts> {
  const questions = state.commits.questions(state.service, plans);
  const asked = questions.length > 0 ? await compareCommits({ repo: service.repo, questions }) : {};
  state.commits.learn(state.service.branch, questions, asked);
  const answers = { ...known, ...asked };
  const wanted = new Set(state.healthRequests(plans, features.platformChecks, false).map((r) => r.stage));
  const health: Record<string, TargetHealth> = {};
  const gathered = new Set<string>();
  const stages = state.last.heldFacts;
  for (let round = 0; round < 2; round++) {
    const { pause, freeze, commits, manual } = state.cheapFacts();
    const needed = new Set(
      costlyFactsNeeded({
        service,
        plans,
        now: Date.now(),
        pause,
        freeze,
        commits: { ...commits, ...answers },
        manual,
      }),
    );
    const now = Date.now();
    const candidates = plans.flatMap((p) => (p.kind === 'candidate' && needed.has(p.pair.to) ? [p] : []));
    // Facts that held a candidate are kept for a few ticks, unless a person's request waits on it.
    for (const { pair, candidate } of candidates) {
      const held = stages.get(pair.to);
      if (held?.key !== candidateKey(state.config, candidate) || now >= held.until || manual.includes(pair.to))
        continue;
      health[pair.to] = held.health;
      gathered.add(pair.to);
    }
    // Decided promotions are asked about on the first round only: their confirmation reads the newest.
    const requests = state
      .healthRequests(candidates, features.platformChecks, features.confirm && round === 0)
      .filter((r) => !gathered.has(r.stage));
    if (requests.length === 0) break;
    Object.assign(health, await gatherHealth(requests));
    for (const request of requests) gathered.add(request.stage);
    for (const { pair, candidate } of candidates) {
      if (!requests.some((r) => r.stage === pair.to)) continue;
      if (heldByCostlyFacts(candidate, health[pair.to], service))
        stages.set(pair.to, {
          key: candidateKey(state.config, candidate),
          until: Date.now() + HELD_FACTS_TICKS * service.tickMs,
          health: health[pair.to],
        });
      else stages.delete(pair.to);
    }
  }
  state.learnHealth(health);
  return { plans, answers, health, deferred: new Set([...wanted].filter((stage) => !gathered.has(stage))) };
}

/** Health facts per target stage; a source that cannot be read is a fact too (the gate fails closed). */
export async function gatherHealth(requests: HealthRequest[]): Promise<Record<string, TargetHealth>> {
  const health: Record<string, TargetHealth> = {};
  const incident = requests.find((r) => r.incident)?.incident;
  const incidents = incident ? incidentFacts(incident) : undefined;
  await Promise.all(
    requests.map(async (request) => {
      const [alerts, urls, zeroDowntime, ci, webhook] = await Promise.all([
        request.alerts && alertFacts(request.alerts),
        request.urls && urlFacts(request.urls),
        request.zeroDowntime &&
          (request.zeroDowntime.generation
            ? zeroDowntimeFacts(request.zeroDowntime.app, request.zeroDowntime.generation)
            : zeroDowntimeFacts(request.zeroDowntime.app)),
        request.ci && ciFacts(request.ci),
        request.webhook && webhookCheck(request.webhook),
      ]);
      health[request.stage] = {
        ...(request.incident ? { incident: await incidents! } : {}),
        ...(alerts ? { alerts } : {}),
        ...(urls ? { urls } : {}),
        ...(zeroDowntime ? { zeroDowntime: { ...zeroDowntime, mode: request.zeroDowntime!.mode } } : {}),
        ...(ci ? { ci } : {}),
        ...(webhook ? { webhook } : {}),
      };
    }),
  );
  return health;
}
