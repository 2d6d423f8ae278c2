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
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TargetHealth } from '../domain/gates';
import { alertsVerdict } from '../domain/gates/alerts';
import { urlsVerdict } from '../domain/gates/urls';
import { stagePolicy } from '../domain/plan';
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
} from './messages';
import { readApproval } from '../domain/approval';
import { PipelineState, type CarriedState, type Go, type HealthRequest } from './pipeline-state';
import { validService } from './valid-service';

export interface PipelineOptions {
  /** Continue-as-new once history has this many events (tests use a small number). */
  maxHistoryEvents?: number;
  /** How often a pipeline blocked by a permanent error looks again. */
  blockedRecheckMs?: number;
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
// would leave the target in an unknown state.
const { promote } = proxyActivities<Activities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** Why an activity failed, in words for status; and whether it will stay that way until someone acts. */
function explain(error: unknown): { reason: string; permanent: boolean } {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) return { reason: cause.message, permanent: cause.nonRetryable === true };
  return { reason: cause instanceof Error ? cause.message : String(cause), permanent: false };
}

/** One service's pipeline, reconciled for ever: observe, judge, promote, sleep until something changes. */
export async function pipeline(input: PipelineInput): Promise<void> {
  const state = new PipelineState(input.service, input.carried);
  const options = input.options ?? {};
  let wake = false;
  let passes = 0;
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
    state.frozen(readFreeze(request, Date.now()));
    nudge();
  });
  setHandler(unfreezeSignal, () => {
    state.frozen(null);
    nudge();
  });
  setHandler(configureSignal, (service) => {
    const valid = validService(service, state.service.name);
    if (valid.ok) state.reconfigure(valid.service);
    else log.warn('configure signal ignored', { problem: valid.problem });
    nudge();
  });
  setHandler(currentStageQuery, () => state.currentStage());
  setHandler(statusQuery, () => state.status());

  setHandler(
    promoteUpdate,
    async (request) => {
      const manual = readManualPromotion(request, state.service, Date.now());
      if (typeof manual === 'string') throw ApplicationFailure.nonRetryable(manual, 'InvalidRequest');
      state.requestManual(manual);
      nudge();
      // Decided by the next full reconcile pass; two passes without a decision mean no observation.
      const after = passes;
      await condition(() => state.hasManualOutcome(manual.to) || passes > after + 1);
      return state.takeManualOutcome(manual.to) ?? { started: false, message: 'the pipeline could not be observed; try again' };
    },
    {
      validator: (request) => {
        const manual = readManualPromotion(request, state.service, Date.now());
        if (typeof manual === 'string') throw new Error(manual);
        if (state.isPromoting(manual.to)) throw new Error(`a promotion into ${manual.to} is already in flight`);
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
  const startPromotion = (go: Go, pipelineId: string, appIds: Map<string, string>, latestIds: Map<string, string>) => {
    const record = state.promotionStarted(go, Date.now());
    const running = promote({
      pipelineId,
      sourceApp: record.from,
      sourceAppId: appIds.get(record.from)!,
      sourceReleaseId: go.candidate.source.id,
      slugId: record.slugId,
      targetApp: record.to,
      targetAppId: appIds.get(record.to)!,
      targetReleaseId: latestIds.get(record.to) ?? null,
    })
      .then(async (outcome) => {
        const { bakeMs } = stagePolicy(state.service, record.to);
        if (outcome.status !== 'succeeded' || !bakeMs) return state.promotionFinished(record.to, outcome, Date.now());
        state.promotionVerifying(record.to, outcome);
        const problem = await verify(state.service, record.to, bakeMs);
        if (!problem) return state.promotionFinished(record.to, outcome, Date.now());
        let rolledBack: { version?: number; error?: string } | null = null;
        if (state.service.onFailure !== 'pause' && record.previous) {
          rolledBack = await rollback({ app: record.to, releaseId: record.previous.releaseId, slugId: record.previous.slugId }).catch((error) => ({ error: explain(error).reason }));
        }
        state.verificationFailed(record.to, problem, rolledBack, Date.now());
      })
      .catch((error) => state.promotionFinished(record.to, { status: 'failed', promotionId: null, targetVersion: null, error: explain(error).reason }, Date.now()))
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
  const publish = () => {
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

  // Pipelines learn of a freeze by signal; one that starts during a freeze asks for it once.
  if (patched('read-freeze-at-start')) {
    try {
      state.frozen(await readCurrentFreeze());
    } catch (error) {
      log.warn('could not read the freeze; the next freeze signal will tell', { error: explain(error).reason });
    }
  }

  while (!historyFull()) {
    wake = false;
    sendNotices();
    await reconcile(state, startPromotion);
    if (patched('watch-pending-releases')) watchReleases();
    passes++;
    publish();
    sendNotices();
    const now = Date.now();
    await condition(() => wake, Math.max(1, state.nextWakeAt(now, options.blockedRecheckMs) - now));
  }

  // Hand over a quiet workflow: promotions finished, handlers done, so nothing is lost.
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

/** One pass: observe the pipeline, gather what the gates need, start what may go. */
async function reconcile(
  state: PipelineState,
  startPromotion: (go: Go, pipelineId: string, appIds: Map<string, string>, latestIds: Map<string, string>) => void,
): Promise<void> {
  const { service } = state;
  let observation;
  try {
    observation = await observePipeline({ pipeline: service.pipeline, stages: service.stages });
  } catch (error) {
    const { reason, permanent } = explain(error);
    state.blockedBy(`cannot observe pipeline ${service.pipeline}: ${reason}`, permanent, Date.now());
    return;
  }
  state.observed(observation);
  const plans = state.plan(patched('wait-for-pending-targets'));
  const questions = state.questions(plans);
  let answers = {};
  let health: Record<string, TargetHealth> = {};
  try {
    // Workflows recorded before the CI, zero-downtime and webhook gates asked for none of them.
    const requests = state.healthRequests(plans, patched('platform-checks'));
    [answers, health] = await Promise.all([questions.length > 0 ? compareCommits({ repo: service.repo, questions }) : {}, requests.length > 0 ? gatherHealth(requests) : {}]);
    state.learn(questions, answers);
  } catch (error) {
    const { reason, permanent } = explain(error);
    state.blockedBy(`cannot check the gates of ${service.name}: ${reason}`, permanent, Date.now());
    return;
  }
  const appIds = new Map<string, string>(observation.stages.map((stage) => [stage.app, stage.appId]));
  const latestIds = new Map<string, string>(observation.stages.flatMap((stage) => (stage.latest ? [[stage.app, stage.latest.id] as [string, string]] : [])));
  for (const go of state.decide(plans, answers, Date.now(), health)) startPromotion(go, observation.pipelineId, appIds, latestIds);
}
