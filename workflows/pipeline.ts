import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Candidate } from '../domain/gates';
import type { Service } from '../domain/service';
import { ConveyorPaused, ConveyorService, ConveyorStage } from '../temporal/search-attributes';
import { configureSignal, currentStageQuery, pauseSignal, resumeSignal, statusQuery } from './messages';
import { PipelineState, type CarriedState } from './pipeline-state';
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

const { observePipeline, compareCommits } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 4 },
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

  setHandler(pauseSignal, (request) => {
    state.pauseBy(request, Date.now());
    wake = true;
  });
  setHandler(resumeSignal, () => {
    state.resume();
    wake = true;
  });
  setHandler(configureSignal, (service) => {
    const valid = validService(service, state.service.name);
    if (valid.ok) state.reconfigure(valid.service);
    else log.warn('configure signal ignored', { problem: valid.problem });
    wake = true;
  });
  setHandler(currentStageQuery, () => state.currentStage());
  setHandler(statusQuery, () => state.status());

  const inFlight: Promise<void>[] = [];
  const startPromotion = (candidate: Candidate, pipelineId: string, appIds: Map<string, string>) => {
    const record = state.promotionStarted(candidate, Date.now());
    const running = promote({
      pipelineId,
      sourceApp: record.from,
      sourceAppId: appIds.get(record.from)!,
      sourceReleaseId: candidate.source.id,
      slugId: record.slugId,
      targetApp: record.to,
      targetAppId: appIds.get(record.to)!,
    })
      .then((outcome) => state.promotionFinished(record.to, outcome, Date.now()))
      .catch((error) => state.promotionFinished(record.to, { status: 'failed', promotionId: null, targetVersion: null, error: explain(error).reason }, Date.now()))
      .finally(() => {
        inFlight.splice(inFlight.indexOf(running), 1);
        wake = true;
      });
    inFlight.push(running);
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

  const historyFull = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || (options.maxHistoryEvents !== undefined && info.historyLength >= options.maxHistoryEvents);
  };

  while (!historyFull()) {
    wake = false;
    await reconcile(state, startPromotion);
    publish();
    const now = Date.now();
    await condition(() => wake, Math.max(1, state.nextWakeAt(now, options.blockedRecheckMs) - now));
  }

  // Hand over a quiet workflow: promotions finished, signal handlers done, so nothing is lost.
  await Promise.all(inFlight);
  await condition(allHandlersFinished);
  await continueAsNew<typeof pipeline>({ service: state.service, options, carried: state.carry() });
}

/** One pass: observe the pipeline, ask GitHub what the gates need, start what may go. */
async function reconcile(state: PipelineState, startPromotion: (c: Candidate, pipelineId: string, appIds: Map<string, string>) => void): Promise<void> {
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
  const plans = state.plan();
  const questions = state.questions(plans);
  let answers = {};
  if (questions.length > 0) {
    try {
      answers = await compareCommits({ repo: service.repo, questions });
      state.learn(questions, answers);
    } catch (error) {
      const { reason, permanent } = explain(error);
      state.blockedBy(`cannot ask GitHub about ${service.repo}: ${reason}`, permanent, Date.now());
      return;
    }
  }
  const appIds = new Map(observation.stages.map((stage) => [stage.app, stage.appId]));
  for (const candidate of state.decide(plans, answers, Date.now())) startPromotion(candidate, observation.pipelineId, appIds);
}
