import type { CommitAnswers } from '../domain/commits';
import { costlyFactsNeeded, HELD_FACTS_TICKS, heldByCostlyFacts } from '../domain/decision';
import type { Candidate } from '../domain/gates';
import type { TargetHealth } from '../domain/gates';
import type { PairPlan } from '../domain/plan';
import type { HealthRequest } from '../domain/health-requests';
import type { PipelineState } from './pipeline-state';
import { alertFacts, ciFacts, incidentFacts, urlFacts, webhookCheck, zeroDowntimeFacts } from './activities';

/** The costly facts of one pass, per candidate's target stage. */
export interface CostlyFacts {
  health: Record<string, TargetHealth>;
  /** Candidates' target stages whose costly facts were not gathered: a cheap gate held them. */
  deferred: Set<string>;
  /** Target stages of the candidates that every gate read so far lets through: they may go. */
  open: string[];
}

const candidateKey = (config: number, { source, target }: Candidate) => `${config}:${source.id}>${target?.id ?? ''}`;

/**
 * The costly facts (CI, formation, incident, alerts, URLs, webhook) of the candidates the gates that
 * need no I/O let through (domain/decision.ts costlyFactsNeeded), and of decided promotions waiting
 * for their POST. A signal or request that lands while they are read can let another candidate
 * through: its facts are read at once, in a second round. Throws what an activity threw.
 */
export async function gatherCostlyFacts(
  state: PipelineState,
  plans: PairPlan[],
  answers: CommitAnswers,
): Promise<CostlyFacts> {
  const { service } = state;
  const wanted = new Set(state.healthRequests(plans, false).map((r) => r.stage));
  const health: Record<string, TargetHealth> = {};
  const gathered = new Set<string>();
  const stages = state.last.heldFacts;
  let lastRound: Extract<PairPlan, { kind: 'candidate' }>[] = [];
  for (let round = 0; round < 2; round++) {
    const { pause, held, freeze, commits, manual } = state.cheapFacts();
    const needed = new Set(
      costlyFactsNeeded({
        service,
        plans,
        now: Date.now(),
        pause,
        held,
        freeze,
        commits: { ...commits, ...answers },
        manual,
      }),
    );
    const now = Date.now();
    const candidates = plans.flatMap((p) => (p.kind === 'candidate' && needed.has(p.pair.to) ? [p] : []));
    lastRound = candidates;
    // Facts that held a candidate are kept for a few ticks, unless a person's request waits on it.
    for (const { pair, candidate } of candidates) {
      const held = stages.get(pair.to);
      if (held?.key !== candidateKey(state.config, candidate) || now >= held.until || manual.includes(pair.to))
        continue;
      health[pair.to] = held.health;
      gathered.add(pair.to);
    }
    // Decided promotions are asked about on the first round only: their confirmation reads the newest.
    const requests = state.healthRequests(candidates, round === 0).filter((r) => !gathered.has(r.stage));
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
  const open = lastRound
    .filter(({ pair, candidate }) => !heldByCostlyFacts(candidate, health[pair.to], service))
    .map(({ pair }) => pair.to);
  return { health, deferred: new Set([...wanted].filter((stage) => !gathered.has(stage))), open };
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
