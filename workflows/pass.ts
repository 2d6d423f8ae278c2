import { sleep } from '@temporalio/workflow';
import type { CommitAnswers } from '../domain/commits';
import type { Go } from '../domain/decision';
import type { TargetHealth } from '../domain/gates';
import type { Observation } from '../domain/observation';
import type { PairPlan } from '../domain/plan';
import type { PipelineState } from './pipeline-state';
import { compareCommits, explain, observeLocally, observePipeline } from './activities';
import { gatherCostlyFacts } from './facts';
import { groupPromotions } from '../domain/wave-plan';
import { mustCatchUp } from '../domain/catch-up';
import type { Launch } from './promotion-saga';

/** What one pass learns, step by step, about the configuration it judges. */
interface Pass {
  readonly state: PipelineState;
  /** The configuration version this pass judges: a newer one ends the pass, and the next begins at once. */
  readonly config: number;
  readonly startPromotion: (gos: Go[], launch: Launch) => void;
  observation?: Observation;
  plans: PairPlan[];
  answers: CommitAnswers;
  health: Record<string, TargetHealth>;
  /** Candidates' target stages whose costly facts were not gathered: a cheap gate held them. */
  deferred: Set<string>;
  /** Candidates' target stages that every gate read so far lets through. */
  open: string[];
  /** Workflow time when the pass began (local activities move it on by how long they ran). */
  readonly startedAt: number;
}

/** One step of a pass; false ends the pass there (the state then says why, when it is worth saying). */
type Step = (pass: Pass) => boolean | Promise<boolean>;

/**
 * Observes the pipeline: one look at every stage, with what a soak needs. When it cannot be made the
 * pipeline shows itself blocked, with the reason.
 */
async function observe(pass: Pass): Promise<boolean> {
  const observation = await observeWith(pass.state, observeLocally, `observe ${pass.state.service.pipeline}`);
  if (!observation) return false;
  pass.observation = observation;
  // Made for the stages of the configuration this pass judges: a newer one is judged on its own look.
  if (pass.state.config === pass.config) pass.state.observed(observation);
  return true;
}

/** Plans every pair over the observation: in sync, waiting, promoting, held, or a candidate. */
function plan(pass: Pass): boolean {
  pass.plans = pass.state.plan(Date.now());
  return true;
}

/**
 * Asks GitHub what the plan needs to know of its commits: soak ancestry first, since an answer can
 * change which release is the candidate (the pair is planned again), then branch and forward.
 * Answers about fixed commits are kept for good, so a quiet pipeline asks nothing.
 */
async function askGitHub(pass: Pass): Promise<boolean> {
  const { state } = pass;
  for (let round = 0; round < 3; round++) {
    const questions = state.commits.questions(state.service, pass.plans);
    if (questions.length === 0) break;
    const asked = await checking(pass, () => compareCommits({ repo: state.service.repo, questions }));
    if (!asked) return false;
    state.commits.learn(state.service.branch, questions, asked);
    pass.answers = { ...pass.answers, ...asked };
    pass.plans = state.plan(Date.now());
  }
  return true;
}

/**
 * Reads the costly facts (CI, formation, incident, alerts, URLs, webhook) only for the candidates the
 * gates that need no I/O let through, and for decided promotions waiting for their POST.
 */
async function gatherFacts(pass: Pass): Promise<boolean> {
  const facts = await checking(pass, () => gatherCostlyFacts(pass.state, pass.plans, pass.answers));
  if (!facts) return false;
  pass.health = facts.health;
  pass.deferred = facts.deferred;
  pass.open = facts.open;
  return true;
}

/**
 * Lets a message that landed while slow reads ran (a pause, a freeze, a new configuration) be
 * applied before deciding (domain/catch-up.ts): the reads are local activities inside the workflow
 * task, which sees no signal sent after it began; one short timer ends it, and the next task brings
 * them in. Local activities advance workflow time by how long they ran, so this is measured here.
 */
async function catchUp(pass: Pass): Promise<boolean> {
  if (mustCatchUp({ open: pass.open.length, readMs: Date.now() - pass.startedAt })) await sleep(1);
  return true;
}

/** Judges every candidate by its gates (and operators' requests), and starts what may go. */
function decideAndStart(pass: Pass): boolean {
  const { state, observation } = pass;
  state.holds.unblocked();
  const launch: Launch = {
    pipelineId: observation!.pipelineId,
    appIds: new Map(observation!.stages.map((stage) => [stage.app, stage.appId])),
    latestIds: new Map(
      observation!.stages.flatMap((stage) => (stage.latest ? [[stage.app, stage.latest.id] as const] : [])),
    ),
  };
  // The apps of a wave taking one release go in one Heroku promotion with several targets.
  const gos = state.decide(pass.plans, pass.answers, Date.now(), pass.health, pass.deferred);
  for (const group of groupPromotions(state.service, gos)) pass.startPromotion(group, launch);
  return true;
}

/** One pass, in order, each step with one job (docs/contributing/architecture.md draws the same list). */
const steps: readonly Step[] = [observe, plan, askGitHub, gatherFacts, catchUp, decideAndStart];

/**
 * One reconcile pass: observe, plan, ask GitHub, gather the costly facts, catch up on messages, decide and start. A pass
 * judges one configuration against the observation made for it: if a new one lands meanwhile, it
 * starts nothing and the next pass (at once) judges the new one.
 */
export async function reconcile(
  state: PipelineState,
  startPromotion: (gos: Go[], launch: Launch) => void,
  again: () => void,
): Promise<void> {
  const pass: Pass = {
    state,
    config: state.config,
    startPromotion,
    plans: [],
    answers: {},
    health: {},
    deferred: new Set(),
    open: [],
    startedAt: Date.now(),
  };
  for (const step of steps) {
    if (!(await step(pass))) return;
    if (state.config !== pass.config) return again();
  }
}

/** An observation and nothing more: while a run hands over, status stays current and nothing starts. */
export async function observeOnly(state: PipelineState): Promise<void> {
  const { config } = state;
  const observation = await observeWith(state, observePipeline, `observe ${state.service.pipeline} (handing over)`);
  if (observation && state.config === config) state.observed(observation);
}

async function observeWith(
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

/** Runs a step's reads; when they fail the pipeline shows itself blocked, with the reason. */
async function checking<T>(pass: Pass, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    const { reason, permanent } = explain(error);
    pass.state.blockedBy(`cannot check the gates of ${pass.state.service.name}: ${reason}`, permanent, Date.now());
    return undefined;
  }
}
