import { allHandlersFinished, condition, continueAsNew, log, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Service } from '../domain/service';
import {
  approveUpdate,
  configureSignal,
  confirmPromotionUpdate,
  currentStageQuery,
  freezeSignal,
  lookSignal,
  pauseSignal,
  previewQuery,
  promoteUpdate,
  reconfigureUpdate,
  rejectUpdate,
  resumeSignal,
  retryUpdate,
  statusQuery,
  unfreezeSignal,
  unrejectUpdate,
} from './messages';
import type { Go } from '../domain/decision';
import { PipelineState, type CarriedState } from './pipeline-state';
import { readCurrentFreeze, explain } from './activities';
import { observeOnly, reconcile } from './pass';
import { promotionSaga, type Launch } from './promotion-saga';
import { Operations } from './operations';
import { publisher } from './publish';
import { noticeSender } from './notice-sender';
import { releaseWatcher } from './release-watch';
import { newRunScratch } from './run-scratch';
import { handoverStep } from '../domain/handover';
import { NEXT_TICK } from './memory/status-view';

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
  /** The service's configuration in force. */
  service: Service;
  /** Timing knobs, kept across continue-as-new (tests shorten them). */
  options?: PipelineOptions;
  /** The memory of the run before this one, whole (absent on the first run). */
  carried?: CarriedState;
}

/** One service's pipeline, reconciled for ever: observe, judge, promote, sleep until something changes. */
export async function pipeline(input: PipelineInput): Promise<void> {
  const options = input.options ?? {};
  // What lasts (carried whole at continue-as-new), and what this run keeps for itself.
  const state = new PipelineState(input.service, input.carried, { webhookTrustMs: options.webhookTrustMs });
  const run = newRunScratch();
  const nudge = () => {
    run.wake = true;
  };
  const notices = noticeSender(state);
  const ops = new Operations(state, run, options);

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
  setHandler(statusQuery, () => state.queriedStatus(Date.now()));
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

  const startPromotion = (gos: Go[], launch: Launch) => {
    const running = promotionSaga(state, gos, launch, notices.send).finally(() => {
      void run.inFlight.splice(run.inFlight.indexOf(running), 1);
      nudge();
    });
    run.inFlight.push(running);
  };

  const watchReleases = releaseWatcher(state, nudge);
  const publish = publisher(state);

  // Once the history is full the run hands over at the first moment no promotion is in flight
  // (domain/handover.ts): a promotion retrying into one stage must not hold every other pair.
  const handover = () => {
    const info = workflowInfo();
    const full =
      info.continueAsNewSuggested ||
      (options.maxHistoryEvents !== undefined && info.historyLength >= options.maxHistoryEvents);
    if (full) run.fullAt ??= info.historyLength;
    return handoverStep({ full, length: info.historyLength, fullAt: run.fullAt, inFlight: run.inFlight.length });
  };

  // Pipelines learn of a freeze by signal; one that starts fresh during a freeze asks for it once.
  // A run continued from another carries the freeze it was told (a freeze sent straight to it too).
  if (!input.carried) {
    const before = run.freezeSignals;
    try {
      const read = await readCurrentFreeze();
      // A freeze or unfreeze signal that arrived while asking is newer than the answer.
      if (run.freezeSignals === before) state.holds.frozen(read);
    } catch (error) {
      log.warn('could not read the freeze; the next freeze signal will tell', { error: explain(error).reason });
    }
  }

  while (handover() === 'reconcile') {
    run.wake = false;
    await reconcile(state, startPromotion, nudge);
    watchReleases();
    publish();
    // After the pass, so a decision it made holds them back until its confirmation (notice-sender.ts).
    notices.send();
    const now = Date.now();
    // With webhooks reaching the pipeline, a release wakes it by signal: the tick is only a fallback poll.
    const slow = state.webhooks.on(now);
    const tick = slow ? state.webhooks.fallbackPollMs(state.service) : undefined;
    const wakeAt = state.nextWakeAt(now, options.blockedRecheckMs, tick);
    const reason = state.nextWakeReason();
    const summary = slow && reason === NEXT_TICK ? 'next look (fallback poll: webhooks on)' : reason;
    await condition(() => run.wake, Math.max(1, wakeAt - now), { summary });
  }

  // Hand over a quiet workflow: promotions finished, handlers done, so nothing is lost. A request
  // that comes now is refused by its validator; one already waiting is answered, never left hanging.
  run.draining = true;
  state.mailbox.refuse(
    'the pipeline is handing over to a new run (continue-as-new); nothing will happen: ask again in a few seconds',
  );
  // Only once the history's slack is spent can promotions still be in flight here: until the last
  // one ends the pipeline keeps looking at its stages, starting nothing, so it never stops reconciling.
  while (run.inFlight.length > 0) {
    run.wake = false;
    await condition(() => run.wake || run.inFlight.length === 0, state.service.tickMs, {
      summary: 'handing over: waiting for promotions in flight',
    });
    if (run.inFlight.length > 0) await observeOnly(state);
  }
  await Promise.all(run.inFlight);
  notices.sendNow();
  await Promise.all(notices.sending);
  await condition(allHandlersFinished);
  await continueAsNew<typeof pipeline>({ service: state.service, options, carried: state.carry() });
}
