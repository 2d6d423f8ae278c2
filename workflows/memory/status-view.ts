import { artifactOf } from '../../domain/artifact';
import type { ApprovalBook } from './approvals';
import type { Holds } from './holds';
import type { PromotionBook } from './promotion-book';
import { currentStage, stageOf } from '../../domain/plan';
import type { Observation } from '../../domain/observation';
import type { Service } from '../../domain/service';
import type { Blocked, PairStatus, PipelineStatus } from '../../domain/status';
import { iso } from '../../domain/duration';
import { approvalStates, type ApprovalState } from '../../domain/approval';
import { sameCommit } from '../../domain/commits';
import { configDigest, pairsOf } from '../../domain/service';
import { waveStatuses } from '../../domain/wave-plan';
import { DECIDE_AHEAD_MS } from '../../domain/ahead';

/** What the status query is computed from: the pipeline's memory and its last pass. */
export interface StatusParts {
  service: Service;
  observation: Observation | null;
  holds: Holds;
  approvals: ApprovalBook;
  book: PromotionBook;
  pairs: PairStatus[];
  nextCheckAt: number | null;
  /** When the configuration in force was applied; null: it is the one the pipeline started with. */
  configAppliedAt?: string | null;
  /** The time the status is told at (a wave's "2 of 3 soaked"); now by default. */
  now?: number;
}

/** The status query's answer, computed once from the parts. */
export function statusOf({
  service,
  observation,
  holds,
  approvals,
  book,
  pairs,
  nextCheckAt,
  configAppliedAt = null,
  now = Date.now(),
}: StatusParts): PipelineStatus {
  const running = (stage: string) => (observation && stageOf(observation, stage)?.current) ?? null;
  const stages = service.stages.map((stage, i) => {
    const fact = observation && stageOf(observation, stage);
    const current = fact?.current ?? null;
    const latest = fact?.latest;
    // The stage a release comes from: the one before, or the first app of the wave before.
    const source = i > 0 ? (pairsOf(service).find((pair) => pair.to === stage)?.from ?? service.stages[i - 1]) : null;
    const before = source ? running(source) : null;
    return {
      stage,
      version: current?.version ?? null,
      commit: current?.commit ?? null,
      status: current?.status ?? null,
      releasedAt: current ? (current.startedAt ?? current.createdAt) : null,
      ...(current ? { artifact: artifactOf(current) } : {}),
      ...(latest && latest.id !== current?.id
        ? { latest: { version: latest.version, status: latest.status, commit: latest.commit } }
        : {}),
      ...(before?.commit && before.commit !== current?.commit
        ? { behind: { stage: source!, version: before.version, commit: before.commit } }
        : {}),
    };
  });
  const promotions = book.view();
  const waiting = Object.values(approvals.waiting);
  const decisions = approvalStates(approvals.approvals, waiting, holds.rejected);
  const inState = (state: ApprovalState['state'], stage: string, commit: string) =>
    decisions.some((d) => d.state === state && d.stage === stage && sameCommit(d.commit, commit));
  return {
    service: service.name,
    pipeline: service.pipeline,
    branch: service.branch,
    ...(observation?.generation ? { generation: observation.generation } : {}),
    stages,
    currentStage: observation ? currentStage(service, observation) : null,
    paused: holds.pause,
    ...(Object.keys(holds.held).length ? { held: { ...holds.held } } : {}),
    frozen: holds.freeze,
    ignoresFreeze: service.ignoreFreeze === true,
    blocked: holds.blocked,
    rejected: holds.rejected,
    approvals: approvals.approvals.filter((a) => inState('approved', a.stage, a.commit)),
    waitingForApproval: waiting.filter((w) => inState('waiting', w.stage, w.commit)),
    approvalStates: decisions,
    pairs,
    inFlight: promotions.inFlight,
    history: promotions.history,
    ...(holds.resumedBy !== undefined ? { resumedBy: holds.resumedBy } : {}),
    holds: holds.list(book.failed, service.ignoreFreeze),
    retries: promotions.retries,
    observedAt: observation?.observedAt ?? null,
    nextCheckAt: nextCheckAt === null ? null : iso(nextCheckAt),
    config: { digest: configDigest(service), appliedAt: configAppliedAt },
    ...(service.waves?.length ? { waves: waveStatuses(service, observation, now) } : {}),
  };
}

/** The status when it cannot be computed whole: the holds and the error, never a throw. */
export function unavailableStatus(service: Service | undefined, holds: Holds, error: unknown): PipelineStatus {
  return {
    service: service?.name ?? 'unknown',
    pipeline: service?.pipeline ?? 'unknown',
    branch: service?.branch ?? 'unknown',
    stages: [],
    currentStage: null,
    pairs: [],
    inFlight: [],
    history: [],
    observedAt: null,
    nextCheckAt: null,
    paused: holds.pause,
    frozen: holds.freeze,
    ignoresFreeze: false,
    blocked: holds.blocked,
    rejected: holds.rejected,
    approvals: [],
    waitingForApproval: [],
    error: `status could not be computed: ${error instanceof Error ? error.message : String(error)}`,
  };
}

/** The wake reason when no gate opens first: the next tick (or, with webhooks, the fallback poll). */
export const NEXT_TICK = 'next look (tick)';

/** Why the loop sleeps until `nextCheckAt`: a timer summary in the Web UI ("age gate opens for ..."). */
export function wakeReason(blocked: Blocked | null, pairs: readonly PairStatus[], nextCheckAt: number | null): string {
  if (blocked) return `look again (blocked: ${blocked.reason.slice(0, 80)})`;
  // A gate's wake comes up to DECIDE_AHEAD_MS before it opens (domain/wake.ts).
  const due = pairs.filter(
    (p) => p.recheckAt && nextCheckAt !== null && Date.parse(p.recheckAt) - DECIDE_AHEAD_MS <= nextCheckAt,
  );
  const opening = due.flatMap((p) =>
    p.verdicts
      .filter((v) => !v.ok && v.recheckAt === p.recheckAt)
      .map((v) => {
        const ahead = nextCheckAt! < Date.parse(p.recheckAt!) ? ` (deciding ${DECIDE_AHEAD_MS / 1000}s ahead)` : '';
        return `${v.gate} gate opens for ${p.from} -> ${p.to}${ahead}`;
      }),
  );
  return opening[0] ?? NEXT_TICK;
}
