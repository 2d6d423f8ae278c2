import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  setCurrentDetails,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TargetHealth } from '../domain/gates';
import { alertsVerdict } from '../domain/gates/alerts';
import { urlsVerdict } from '../domain/gates/urls';
import { stagePolicy } from '../domain/service';
import { readFreeze } from '../domain/freeze';
import { readCommit, readManualPromotion } from '../domain/override';
import type { Service } from '../domain/service';
import { ConveyorPaused, ConveyorService, ConveyorStage } from '../temporal/search-attributes';
import {
  configureSignal,
  currentStageQuery,
  freezeSignal,
  pauseSignal,
  promoteUpdate,
  rejectUpdate,
  resumeSignal,
  statusQuery,
  unfreezeSignal,
  unrejectUpdate,
  approveUpdate,
  confirmPromotionUpdate,
  previewQuery,
  reconfigureUpdate,
  retryUpdate,
} from './messages';
import { NOT_POSTED } from '../domain/promotion';
import { readRetry } from '../domain/retry';
import { currentDetails, fleetSummary } from '../domain/fleet';
import { readApproval } from '../domain/approval';
import { PipelineState, type CarriedState, type Go, type HealthRequest } from './pipeline-state';
import { validService } from './valid-service';

export interface PipelineOptions {
  /** Continue-as-new once history has this many events (tests use a small number). */
  maxHistoryEvents?: number;
  /** How often a pipeline blocked by a permanent error looks again. */
  blockedRecheckMs?: number;
  /** How long a decided promotion may wait for its POST before it is decided again. */
  decisionTtlMs?: number;
  /** How long a manual promotion request waits for its decision before it is answered "nothing will happen". */
  manualDecisionMs?: number;
}

export interface PipelineInput {
  service: Service;
  options?: PipelineOptions;
  carried?: CarriedState;
}

const { observePipeline, compareCommits, readFreeze: readCurrentFreeze, incidentFacts, alertFacts, urlFacts, rollback, zeroDowntimeFacts, ciFacts, webhookCheck } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 4 },
});

// Notifications are best effort: a few quick tries, never awaited by a promotion.
const { notify } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', maximumAttempts: 3 },
});

// Watching a release phase: bounded, the next tick looks again anyway.
const { awaitRelease } = proxyActivities<Activities>({
  startToCloseTimeout: '1h',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5 },
});

// A promotion is retried until it settles: the activity is idempotent, and giving up half-way
// would leave the target in an unknown state. Before its POST it confirms its decision, so a retry
// that comes late never posts a promotion whose reason to go has gone.
const { promote } = proxyActivities<Activities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

const MANUAL_DECISION_MS = 60_000;

/** Why an activity failed, in words for status; whether it will stay that way; whether it stopped before a POST. */
function explain(error: unknown): { reason: string; permanent: boolean; notPosted: boolean } {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) return { reason: cause.message, permanent: cause.nonRetryable === true, notPosted: cause.type === NOT_POSTED };
  return { reason: cause instanceof Error ? cause.message : String(cause), permanent: false, notPosted: false };
}

/** One service's pipeline, reconciled for ever: observe, judge, promote, sleep until something changes. */
export async function pipeline(input: PipelineInput): Promise<void> {
  const state = new PipelineState(input.service, input.carried);
  const options = input.options ?? {};
  let wake = false;
  let passes = 0;
  /** Set once the run hands over (continue-as-new): no new request is taken, queued ones are answered. */
  let draining = false;
  /** Freeze and unfreeze signals received: a freeze read that raced one of them is older than it. */
  let freezeSignals = 0;
  const nudge = () => {
    wake = true;
  };

  setHandler(pauseSignal, (request) => {
    state.pauseBy(request, Date.now());
    nudge();
  });
  setHandler(resumeSignal, (request) => {
    state.resume(typeof request?.by === 'string' ? request.by : undefined);
    nudge();
  });
  setHandler(freezeSignal, (request) => {
    freezeSignals++;
    state.frozen(readFreeze(request, Date.now()));
    nudge();
  });
  setHandler(unfreezeSignal, () => {
    freezeSignals++;
    state.frozen(null);
    nudge();
  });
  setHandler(configureSignal, (service) => {
    const valid = validService(service, state.service.name);
    if (valid.ok) state.reconfigure(valid.service);
    else log.warn('configure signal refused', { service: state.service.name, problem: valid.problem });
    nudge();
  });
  setHandler(
    reconfigureUpdate,
    (service) => {
      const valid = validService(service, state.service.name);
      if (!valid.ok) throw ApplicationFailure.nonRetryable(valid.problem, 'InvalidConfig');
      state.reconfigure(valid.service);
      nudge();
      return `${valid.service.name}: configuration applied (${valid.service.stages.join(' -> ')})`;
    },
    {
      validator: (service) => {
        const valid = validService(service, state.service.name);
        if (!valid.ok) throw new Error(valid.problem);
      },
    },
  );
  setHandler(currentStageQuery, () => state.currentStage());
  setHandler(statusQuery, () => state.safeStatus());
  setHandler(previewQuery, (service) => {
    const valid = validService(service, state.service.name);
    if (!valid.ok) throw new Error(valid.problem);
    return state.preview(valid.service, Date.now());
  });

  setHandler(
    promoteUpdate,
    async (request) => {
      const manual = readManualPromotion(request, state.service, Date.now());
      if (typeof manual === 'string') throw ApplicationFailure.nonRetryable(manual, 'InvalidRequest');
      const expect = state.sourceSeen(manual.to);
      if (!expect && !manual.commit) return { started: false, message: 'the pipeline has not been observed yet; nothing will happen: ask again' };
      state.requestManual({ ...manual, expect });
      nudge();
      // Answered within the call: decided by the next pass, or told that nothing will happen.
      if (patched('manual-request-deadline')) {
        const decided = await condition(() => state.hasManualOutcome(manual.to), options.manualDecisionMs ?? MANUAL_DECISION_MS);
        if (!decided) state.refuseManual('could not be decided in time (Heroku or GitHub slow to answer); nothing will happen: ask again', manual.to);
      } else {
        const after = passes;
        await condition(() => state.hasManualOutcome(manual.to) || passes > after + 1);
      }
      return state.takeManualOutcome(manual.to) ?? { started: false, message: 'nothing will happen: ask again' };
    },
    {
      validator: (request) => {
        const manual = readManualPromotion(request, state.service, Date.now());
        if (typeof manual === 'string') throw new Error(manual);
        if (draining) throw new Error('the pipeline is handing over to a new run (continue-as-new); nothing will happen: ask again in a few seconds');
        if (state.isPromoting(manual.to)) throw new Error(`a promotion into ${manual.to} is already in flight`);
        if (state.hasManualRequest(manual.to)) throw new Error(`a request to promote into ${manual.to} is already waiting for its decision`);
      },
    },
  );
  setHandler(
    retryUpdate,
    (request) => {
      const retry = readRetry(request, state.service);
      if (typeof retry === 'string') throw ApplicationFailure.nonRetryable(retry, 'InvalidRequest');
      const answer = state.retryFailed(retry.to, retry.by, retry.reason);
      nudge();
      return answer;
    },
    {
      validator: (request) => {
        const retry = readRetry(request, state.service);
        if (typeof retry === 'string') throw new Error(retry);
        if (!state.retryable(retry.to)) throw new Error(`nothing failed in ${retry.to}: there is nothing to retry`);
      },
    },
  );
  setHandler(
    confirmPromotionUpdate,
    (request) => state.confirmPost(request, options.decisionTtlMs),
    {
      validator: (request) => {
        if (!request || typeof request.to !== 'string' || typeof request.id !== 'string' || typeof request.now !== 'number') throw new Error('a confirmation names {to, id, now}');
      },
    },
  );
  setHandler(
    rejectUpdate,
    (request) => {
      const commit = readCommit(request) as string;
      state.reject({ commit, reason: request.reason.trim(), by: request.by?.trim() || 'unknown', at: new Date().toISOString() });
      nudge();
      return `${commit} is rejected: it will not be promoted until unrejected`;
    },
    {
      validator: (request) => {
        const commit = readCommit(request);
        if (typeof commit !== 'string') throw new Error(commit.problem);
        if (typeof request?.reason !== 'string' || !request.reason.trim()) throw new Error('a reason is required');
      },
    },
  );
  setHandler(
    unrejectUpdate,
    (request) => {
      state.unreject(readCommit(request) as string);
      nudge();
      return `${request.commit} may be promoted again`;
    },
    {
      validator: (request) => {
        const commit = readCommit(request);
        if (typeof commit !== 'string') throw new Error(commit.problem);
        if (!state.isRejected(commit)) throw new Error(`${commit} is not rejected`);
      },
    },
  );

  setHandler(
    approveUpdate,
    (request) => {
      const approval = readApproval(request, state.approvalStages(), Date.now());
      if (typeof approval === 'string') throw ApplicationFailure.nonRetryable(approval, 'InvalidRequest');
      state.approve(approval);
      nudge();
      return `approved ${approval.commit.slice(0, 7)} into ${approval.stage}`;
    },
    {
      validator: (request) => {
        const approval = readApproval(request, state.approvalStages(), Date.now());
        if (typeof approval === 'string') throw new Error(approval);
      },
    },
  );

  const inFlight: Promise<void>[] = [];
  const startPromotion = (go: Go, pipelineId: string, appIds: Map<string, string>, latestIds: Map<string, string>, confirm: boolean) => {
    const decidedAt = Date.now();
    const record = state.promotionStarted(go, decidedAt, uuid4());
    const running = promote({
      pipelineId,
      sourceApp: record.from,
      sourceAppId: appIds.get(record.from)!,
      sourceReleaseId: go.candidate.source.id,
      slugId: record.slugId,
      targetApp: record.to,
      targetAppId: appIds.get(record.to)!,
      targetReleaseId: latestIds.get(record.to) ?? null,
      ...(confirm ? { decision: { id: record.decisionId!, decidedAt } } : {}),
    })
      .then(async (outcome) => {
        const { bakeMs } = stagePolicy(state.service, record.to);
        if (outcome.status !== 'succeeded' || !bakeMs) return state.promotionFinished(record.to, outcome, Date.now());
        state.promotionVerifying(record.to, outcome);
        const problem = await verify(state.service, record.to, bakeMs);
        if (!problem) return state.promotionFinished(record.to, outcome, Date.now());
        let rolledBack: { version?: number; error?: string } | null = null;
        if (state.service.onFailure !== 'pause' && record.previous) {
          rolledBack = record.previous.slugId
            ? await rollback({ app: record.to, releaseId: record.previous.releaseId, slugId: record.previous.slugId, version: record.previous.version }).catch((error) => ({ error: explain(error).reason }))
            : { error: `v${record.previous.version} has no slug to roll back to` };
        }
        state.verificationFailed(record.to, problem, rolledBack, Date.now());
      })
      .catch((error) => {
        // The activity's own error, not Heroku's verdict on the release: nothing is held against it.
        const { reason, permanent, notPosted } = explain(error);
        state.promotionErred(record.to, reason, !notPosted, Date.now());
        if (permanent) state.blockedBy(`cannot promote into ${record.to}: ${reason}`, true, Date.now());
      })
      .finally(() => {
        inFlight.splice(inFlight.indexOf(running), 1);
        nudge();
      });
    inFlight.push(running);
  };

  // A release phase running on a stage (a merge just landed) is watched, so the workflow acts the
  // moment it settles instead of at the next tick.
  const watching = new Set<string>();
  const watchReleases = () => {
    for (const { app, releaseId } of state.pendingReleases()) {
      if (watching.has(releaseId)) continue;
      watching.add(releaseId);
      void awaitRelease({ app, releaseId })
        .catch((error) => log.warn('could not watch a release', { app, error: explain(error).reason }))
        .finally(() => {
          watching.delete(releaseId);
          nudge();
        });
    }
  };

  let published = '';
  let memo = '';
  const publish = (fleetMemo: boolean) => {
    const status = state.safeStatus();
    setCurrentDetails(currentDetails(status));
    if (fleetMemo) {
      const fleet = fleetSummary(status, state.service.repo);
      const text = JSON.stringify(fleet);
      if (text !== memo) {
        memo = text;
        upsertMemo({ fleet });
      }
    }
    const stage = state.currentStage()?.stage ?? '';
    const key = `${state.paused}|${stage}`;
    if (key === published) return;
    published = key;
    upsertSearchAttributes([
      { key: ConveyorService, value: state.service.name },
      { key: ConveyorPaused, value: state.paused },
      ...(stage ? [{ key: ConveyorStage, value: stage }] : []),
    ]);
  };

  const notifying: Promise<unknown>[] = [];
  const sendNotices = () => {
    const notices = state.drainNotices(Date.now());
    if (notices.length === 0) return;
    const sent = notify(notices)
      .catch((error) => log.warn('notify failed', { error: explain(error).reason }))
      .finally(() => notifying.splice(notifying.indexOf(sent), 1));
    notifying.push(sent);
  };

  const historyFull = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || (options.maxHistoryEvents !== undefined && info.historyLength >= options.maxHistoryEvents);
  };

  // Pipelines learn of a freeze by signal; one that starts fresh during a freeze asks for it once.
  // A run continued from another carries the freeze it was told (a freeze sent straight to it too).
  if (patched('read-freeze-at-start') && !(input.carried && patched('carried-freeze-stands'))) {
    const before = freezeSignals;
    try {
      const read = await readCurrentFreeze();
      // A freeze or unfreeze signal that arrived while asking is newer than the answer.
      if (freezeSignals === before) state.frozen(read);
    } catch (error) {
      log.warn('could not read the freeze; the next freeze signal will tell', { error: explain(error).reason });
    }
  }

  while (!historyFull()) {
    wake = false;
    sendNotices();
    await reconcile(state, startPromotion, nudge);
    if (patched('watch-pending-releases')) watchReleases();
    passes++;
    publish(patched('fleet-memo'));
    sendNotices();
    const now = Date.now();
    await condition(() => wake, Math.max(1, state.nextWakeAt(now, options.blockedRecheckMs) - now));
  }

  // Hand over a quiet workflow: promotions finished, handlers done, so nothing is lost. A request
  // that comes now is refused by its validator; one already waiting is answered, never left hanging.
  draining = true;
  state.refuseManual('the pipeline is handing over to a new run (continue-as-new); nothing will happen: ask again in a few seconds');
  await Promise.all(inFlight);
  sendNotices();
  await Promise.all(notifying);
  await condition(allHandlersFinished);
  await continueAsNew<typeof pipeline>({ service: state.service, options, carried: state.carry() });
}

/**
 * Bakes a fresh release: for `bakeMs` the target's alerts and URLs must stay green. Answers the
 * first problem seen, or undefined when the release held up.
 */
async function verify(service: Service, stage: string, bakeMs: number): Promise<string | undefined> {
  const { alerts, urls } = stagePolicy(service, stage);
  const every = Math.min(15_000, Math.max(1_000, Math.floor(bakeMs / 5)));
  const until = Date.now() + bakeMs;
  while (Date.now() < until) {
    await sleep(Math.min(every, until - Date.now()));
    if (!alerts && !urls?.urls.length) continue;
    const health = (await gatherHealth([{ stage, ...(alerts ? { alerts } : {}), ...(urls?.urls.length ? { urls } : {}) }]))[stage];
    const failing = [health.alerts && alertsVerdict(health.alerts), health.urls && urlsVerdict(health.urls)].find((v) => v && !v.ok);
    if (failing) return `${failing.gate}: ${failing.reason}`;
  }
  return undefined;
}

/** Health facts per target stage; a source that cannot be read is a fact too (the gate fails closed). */
async function gatherHealth(requests: HealthRequest[]): Promise<Record<string, TargetHealth>> {
  const health: Record<string, TargetHealth> = {};
  const incident = requests.find((r) => r.incident)?.incident;
  const incidents = incident ? incidentFacts(incident) : undefined;
  await Promise.all(
    requests.map(async (request) => {
      const [alerts, urls, zeroDowntime, ci, webhook] = await Promise.all([
        request.alerts && alertFacts(request.alerts),
        request.urls && urlFacts(request.urls),
        request.zeroDowntime && zeroDowntimeFacts(request.zeroDowntime.app),
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

/**
 * Workflow changes behind patched(), read once per pass where the recorded histories first asked for
 * them (a marker's place among the commands matters on replay). Retiring them: see the README.
 */
interface PassFeatures {
  waitForPendingTargets: boolean;
  platformChecks: boolean;
  /** Soak counted from when a release started running; the newest soaked release moves on. */
  soak: boolean;
  /** A decided promotion confirms its decision before its POST (and its facts are kept fresh). */
  confirm: boolean;
}

/**
 * One pass: observe the pipeline, gather what the gates need, start what may go. A pass judges one
 * configuration against the observation made for it: if a new one lands meanwhile, it starts nothing
 * and the next pass (at once) judges the new one.
 */
async function reconcile(
  state: PipelineState,
  startPromotion: (go: Go, pipelineId: string, appIds: Map<string, string>, latestIds: Map<string, string>, confirm: boolean) => void,
  again: () => void,
): Promise<void> {
  const { service, config } = state;
  const soak = patched('soak-from-start');
  const changed = () => {
    if (state.config === config) return false;
    again();
    return true;
  };
  let observation;
  try {
    observation = await observePipeline({ pipeline: service.pipeline, stages: service.stages, ...(soak ? { soakMs: service.minAgeMs } : {}) });
  } catch (error) {
    const { reason, permanent } = explain(error);
    state.blockedBy(`cannot observe pipeline ${service.pipeline}: ${reason}`, permanent, Date.now());
    return;
  }
  if (changed()) return;
  state.observed(observation);
  const features: PassFeatures = {
    waitForPendingTargets: patched('wait-for-pending-targets'),
    platformChecks: patched('platform-checks'),
    soak,
    confirm: patched('confirm-before-post'),
  };
  let answers = {};
  let health: Record<string, TargetHealth> = {};
  let plans = state.plan(features.waitForPendingTargets, features.soak ? Date.now() : undefined, service);
  try {
    if (features.soak) {
      // Soak ancestry answers can change which release is the candidate: ask, then plan once more.
      for (let round = 0; round < 2; round++) {
        const questions = state.questions(plans);
        if (questions.length === 0) break;
        const asked = await compareCommits({ repo: service.repo, questions });
        state.learn(questions, asked);
        answers = { ...answers, ...asked };
        plans = state.plan(features.waitForPendingTargets, Date.now(), service);
      }
    }
    // Workflows recorded before the CI, zero-downtime and webhook gates asked for none of them.
    const requests = state.healthRequests(plans, features.platformChecks, features.confirm);
    const questions = features.soak ? [] : state.questions(plans);
    let asked = {};
    [asked, health] = await Promise.all([questions.length > 0 ? compareCommits({ repo: service.repo, questions }) : {}, requests.length > 0 ? gatherHealth(requests) : {}]);
    state.learn(questions, asked);
    answers = { ...answers, ...asked };
    state.learnHealth(health);
  } catch (error) {
    const { reason, permanent } = explain(error);
    state.blockedBy(`cannot check the gates of ${service.name}: ${reason}`, permanent, Date.now());
    return;
  }
  if (changed()) return;
  state.passCompleted();
  const appIds = new Map<string, string>(observation.stages.map((stage) => [stage.app, stage.appId]));
  const latestIds = new Map<string, string>(observation.stages.flatMap((stage) => (stage.latest ? [[stage.app, stage.latest.id] as [string, string]] : [])));
  for (const go of state.decide(plans, answers, Date.now(), health)) startPromotion(go, observation.pipelineId, appIds, latestIds, features.confirm);
}
