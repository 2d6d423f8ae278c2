import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  setHandler,
  setCurrentDetails,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Observation } from '../domain/observation';
import type { Service } from '../domain/service';
import { ConveyorPaused, ConveyorService, ConveyorStage } from '../temporal/search-attributes';
import {
  configureSignal,
  currentStageQuery,
  lookSignal,
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
import { currentDetails, fleetSummary } from '../domain/fleet';
import { PipelineState, type CarriedState, type Go } from './pipeline-state';
import { awaitRelease, explain, notify, observeLocally, observePipeline, readCurrentFreeze } from './activities';
import { gatherFacts, type PassFacts, type PassFeatures } from './facts';
import { promotionSaga, type Launch } from './promotion-saga';
import { Operations, type Run } from './operations';
import type { PipelineStatus } from './status';

export interface PipelineOptions {
  /** Continue-as-new once history has this many events (tests use a small number). */
  maxHistoryEvents?: number;
  /** How often a pipeline blocked by a permanent error looks again. */
  blockedRecheckMs?: number;
  /** How long a decided promotion may wait for its POST before it is decided again. */
  decisionTtlMs?: number;
  /** How long a manual promotion request waits for its decision before it is answered "nothing will happen". */
  manualDecisionMs?: number;
  /** How long a webhook delivery or a confirmed subscription counts as "webhooks reach conveyor" (24 h). */
  webhookTrustMs?: number;
}

export interface PipelineInput {
  service: Service;
  options?: PipelineOptions;
  carried?: CarriedState;
  /** When Heroku's webhooks last showed they reach this pipeline (carried across continue-as-new). */
  webhooks?: { seenAt: number };
}

/** The fallback poll while webhooks reach the pipeline, unless the service sets `webhookTickMs`. */
const WEBHOOK_TICK_MS = 10 * 60_000;
const WEBHOOK_TRUST_MS = 24 * 60 * 60_000;
/** How stale the fleet memo's observedAt may get while nothing else changes (pay-for-change). */
const MEMO_REFRESH_MS = 10 * 60_000;

/** One service's pipeline, reconciled for ever: observe, judge, promote, sleep until something changes. */
export async function pipeline(input: PipelineInput): Promise<void> {
  const state = new PipelineState(input.service, input.carried);
  const options = input.options ?? {};
  const run: Run = {
    wake: false,
    passes: 0,
    draining: false,
    freezeSignals: 0,
    ...(typeof input.webhooks?.seenAt === 'number' ? { webhookSeenAt: input.webhooks.seenAt } : {}),
  };
  const nudge = () => {
    run.wake = true;
  };
  const ops = new Operations(state, run, options);
  const webhooksOn = (now: number) =>
    run.webhookSeenAt !== undefined && now - run.webhookSeenAt < (options.webhookTrustMs ?? WEBHOOK_TRUST_MS);
  const fallbackPollMs = () => Math.max(state.service.tickMs, state.service.webhookTickMs ?? WEBHOOK_TICK_MS);
  const withWebhooks = (status: PipelineStatus): PipelineStatus =>
    run.webhookSeenAt === undefined
      ? status
      : {
          ...status,
          webhooks: {
            on: webhooksOn(Date.now()),
            seenAt: new Date(run.webhookSeenAt).toISOString(),
            fallbackPollMs: fallbackPollMs(),
          },
        };

  setHandler(pauseSignal, (request) => ops.pause(request));
  setHandler(resumeSignal, (request) => ops.resume(request));
  setHandler(freezeSignal, (request) => ops.freeze(request));
  setHandler(unfreezeSignal, () => ops.unfreeze());
  setHandler(configureSignal, (service) => ops.configure(service));
  setHandler(lookSignal, (request) => ops.look(request));
  setHandler(reconfigureUpdate, (service) => ops.reconfigure(service), {
    validator: (service) => ops.validateReconfigure(service),
  });
  setHandler(currentStageQuery, () => state.currentStage());
  setHandler(statusQuery, () => withWebhooks(state.safeStatus()));
  setHandler(previewQuery, (service, now) => ops.preview(service, now));
  setHandler(promoteUpdate, (request) => ops.promote(request), {
    validator: (request) => ops.validatePromote(request),
  });
  setHandler(retryUpdate, (request) => ops.retry(request), { validator: (request) => ops.validateRetry(request) });
  setHandler(confirmPromotionUpdate, (request) => ops.confirm(request), {
    validator: (request) => ops.validateConfirm(request),
  });
  setHandler(rejectUpdate, (request) => ops.reject(request), { validator: (request) => ops.validateReject(request) });
  setHandler(unrejectUpdate, (request) => ops.unreject(request), {
    validator: (request) => ops.validateUnreject(request),
  });
  setHandler(approveUpdate, (request) => ops.approve(request), {
    validator: (request) => ops.validateApprove(request),
  });

  const inFlight: Promise<void>[] = [];
  const startPromotion = (go: Go, launch: Launch) => {
    const running = promotionSaga(state, go, launch).finally(() => {
      void inFlight.splice(inFlight.indexOf(running), 1);
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
  let memoAt = 0;
  const publish = (fleetMemo: boolean, quiet: boolean) => {
    const status = state.safeStatus();
    setCurrentDetails(currentDetails(status));
    if (fleetMemo) {
      const fleet = fleetSummary(status, state.service.repo);
      // Quiet: a look that changed nothing but observedAt costs no history event; observedAt is
      // brought up to date with the next real change, or every MEMO_REFRESH_MS.
      const text = JSON.stringify(quiet ? { ...fleet, observedAt: null } : fleet);
      const now = Date.now();
      if (text !== memo || (quiet && now - memoAt >= MEMO_REFRESH_MS)) {
        memo = text;
        memoAt = now;
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
    return (
      info.continueAsNewSuggested ||
      (options.maxHistoryEvents !== undefined && info.historyLength >= options.maxHistoryEvents)
    );
  };

  // Pipelines learn of a freeze by signal; one that starts fresh during a freeze asks for it once.
  // A run continued from another carries the freeze it was told (a freeze sent straight to it too).
  if (patched('read-freeze-at-start') && !(input.carried && patched('carried-freeze-stands'))) {
    const before = run.freezeSignals;
    try {
      const read = await readCurrentFreeze();
      // A freeze or unfreeze signal that arrived while asking is newer than the answer.
      if (run.freezeSignals === before) state.frozen(read);
    } catch (error) {
      log.warn('could not read the freeze; the next freeze signal will tell', { error: explain(error).reason });
    }
  }

  while (!historyFull()) {
    run.wake = false;
    sendNotices();
    await reconcile(state, startPromotion, nudge);
    if (patched('watch-pending-releases')) watchReleases();
    run.passes++;
    publish(patched('fleet-memo'), patched('pay-for-change'));
    sendNotices();
    const now = Date.now();
    // With webhooks reaching the pipeline, a release wakes it by signal: the tick is only a fallback poll.
    const slow = webhooksOn(now) && patched('webhook-slow-poll');
    const tick = slow ? fallbackPollMs() : undefined;
    const wakeAt = state.nextWakeAt(now, options.blockedRecheckMs, tick);
    const reason = state.nextWakeReason();
    await condition(() => run.wake, Math.max(1, wakeAt - now), {
      summary: slow && reason === 'next look (tick)' ? 'next look (fallback poll: webhooks on)' : reason,
    });
  }

  // Hand over a quiet workflow: promotions finished, handlers done, so nothing is lost. A request
  // that comes now is refused by its validator; one already waiting is answered, never left hanging.
  run.draining = true;
  state.refuseManual(
    'the pipeline is handing over to a new run (continue-as-new); nothing will happen: ask again in a few seconds',
  );
  // A promotion can take minutes (a release phase, a slow Heroku): until the last one ends the
  // pipeline keeps looking at its stages, starting nothing, so it never stops reconciling.
  if (patched('observe-while-draining')) {
    while (inFlight.length > 0) {
      run.wake = false;
      await condition(() => run.wake || inFlight.length === 0, state.service.tickMs, {
        summary: 'handing over: waiting for promotions in flight',
      });
      if (inFlight.length > 0) await look(state);
    }
  }
  await Promise.all(inFlight);
  sendNotices();
  await Promise.all(notifying);
  await condition(allHandlersFinished);
  await continueAsNew<typeof pipeline>({
    service: state.service,
    options,
    carried: state.carry(),
    ...(run.webhookSeenAt !== undefined ? { webhooks: { seenAt: run.webhookSeenAt } } : {}),
  });
}

/**
 * One observation of the pipeline, or undefined when it could not be made: the pipeline then shows
 * itself blocked, with the reason.
 */
async function observe(
  state: PipelineState,
  activity: typeof observePipeline | typeof observeLocally,
  summary: string,
  soak: boolean,
): Promise<Observation | undefined> {
  const { service } = state;
  try {
    return await activity.executeWithOptions({ summary }, [
      { pipeline: service.pipeline, stages: service.stages, ...(soak ? { soakMs: service.minAgeMs } : {}) },
    ]);
  } catch (error) {
    const { reason, permanent } = explain(error);
    state.blockedBy(`cannot observe pipeline ${service.pipeline}: ${reason}`, permanent, Date.now());
    return undefined;
  }
}

/** An observation and nothing more: while a run hands over, status stays current and nothing starts. */
async function look(state: PipelineState): Promise<void> {
  const { config } = state;
  const observation = await observe(state, observePipeline, `observe ${state.service.pipeline} (handing over)`, true);
  if (observation && state.config === config) state.observed(observation);
}

/**
 * One pass: observe the pipeline, gather what the gates need, start what may go. A pass judges one
 * configuration against the observation made for it: if a new one lands meanwhile, it starts nothing
 * and the next pass (at once) judges the new one.
 */
async function reconcile(
  state: PipelineState,
  startPromotion: (go: Go, launch: Launch) => void,
  again: () => void,
): Promise<void> {
  const { service, config } = state;
  const soak = patched('soak-from-start');
  // Pay only for what can change the answer: a local observation, costly facts after the cheap gates.
  const cheapFirst = patched('pay-for-change');
  const changed = () => {
    if (state.config === config) return false;
    again();
    return true;
  };
  const observation = await observe(
    state,
    cheapFirst ? observeLocally : observePipeline,
    `observe ${service.pipeline}`,
    soak,
  );
  if (!observation || changed()) return;
  state.observed(observation);
  const features: PassFeatures = {
    waitForPendingTargets: patched('wait-for-pending-targets'),
    platformChecks: patched('platform-checks'),
    soak,
    confirm: patched('confirm-before-post'),
    cheapFirst,
  };
  let facts: PassFacts;
  try {
    facts = await gatherFacts(state, service, features);
  } catch (error) {
    const { reason, permanent } = explain(error);
    state.blockedBy(`cannot check the gates of ${service.name}: ${reason}`, permanent, Date.now());
    return;
  }
  if (changed()) return;
  state.passCompleted();
  const appIds = new Map<string, string>(observation.stages.map((stage) => [stage.app, stage.appId]));
  const latestIds = new Map<string, string>(
    observation.stages.flatMap((stage) => (stage.latest ? [[stage.app, stage.latest.id] as [string, string]] : [])),
  );
  const launch: Launch = { pipelineId: observation.pipelineId, appIds, latestIds, confirm: features.confirm };
  for (const go of state.decide(facts.plans, facts.answers, Date.now(), facts.health, facts.deferred))
    startPromotion(go, launch);
}
