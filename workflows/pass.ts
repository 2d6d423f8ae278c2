import type { Observation } from '../domain/observation';
import type { Go } from '../domain/decision';
import type { PipelineState } from './pipeline-state';
import { explain, observeLocally, observePipeline } from './activities';
import { gatherFacts, type PassFacts } from './facts';
import type { Launch } from './promotion-saga';

/**
 * One observation of the pipeline, or undefined when it could not be made: the pipeline then shows
 * itself blocked, with the reason.
 */
async function observe(
  state: PipelineState,
  activity: typeof observePipeline | typeof observeLocally,
  summary: string,
): Promise<Observation | undefined> {
  const { service } = state;
  try {
    return await activity.executeWithOptions({ summary }, [
      { pipeline: service.pipeline, stages: service.stages, soakMs: service.minAgeMs },
    ]);
  } catch (error) {
    const { reason, permanent } = explain(error);
    state.blockedBy(`cannot observe pipeline ${service.pipeline}: ${reason}`, permanent, Date.now());
    return undefined;
  }
}

/** An observation and nothing more: while a run hands over, status stays current and nothing starts. */
export async function look(state: PipelineState): Promise<void> {
  const { config } = state;
  const observation = await observe(state, observePipeline, `observe ${state.service.pipeline} (handing over)`);
  if (observation && state.config === config) state.observed(observation);
}

/**
 * One pass: observe the pipeline, gather what the gates need, start what may go. A pass judges one
 * configuration against the observation made for it: if a new one lands meanwhile, it starts nothing
 * and the next pass (at once) judges the new one.
 */
export async function reconcile(
  state: PipelineState,
  startPromotion: (go: Go, launch: Launch) => void,
  again: () => void,
): Promise<void> {
  const { service, config } = state;
  const changed = () => {
    if (state.config === config) return false;
    again();
    return true;
  };
  // Pay only for what can change the answer: a local observation, costly facts after the cheap gates.
  const observation = await observe(state, observeLocally, `observe ${service.pipeline}`);
  if (!observation || changed()) return;
  state.observed(observation);
  let facts: PassFacts;
  try {
    facts = await gatherFacts(state, service);
  } catch (error) {
    const { reason, permanent } = explain(error);
    state.blockedBy(`cannot check the gates of ${service.name}: ${reason}`, permanent, Date.now());
    return;
  }
  if (changed()) return;
  state.holds.unblocked();
  const launch: Launch = {
    pipelineId: observation.pipelineId,
    appIds: new Map(observation.stages.map((stage) => [stage.app, stage.appId])),
    latestIds: new Map(
      observation.stages.flatMap((stage) => (stage.latest ? [[stage.app, stage.latest.id] as const] : [])),
    ),
  };
  for (const go of state.decide(facts.plans, facts.answers, Date.now(), facts.health, facts.deferred))
    startPromotion(go, launch);
}
