import { sleep, uuid4 } from '@temporalio/workflow';
import { bakeVerdict } from '../domain/gates/bake';
import { stagePolicy, type Service } from '../domain/service';
import { failureResponse } from '../domain/failed-verification';
import { shortSha } from '../domain/observation';
import { explain, promote, rollback } from './activities';
import { gatherHealth } from './facts';
import type { Go } from '../domain/decision';
import type { PromotionOutcome, PromotionRecord } from '../domain/promotion';
import type { PipelineState } from './pipeline-state';

/** What starting a promotion needs from the pass that decided it. */
export interface Launch {
  pipelineId: string;
  appIds: Map<string, string>;
  latestIds: Map<string, string>;
}

/**
 * One promotion, start to end: promote (the activity confirms each decision before its POST), then
 * bake and verify, roll back on failure, and record the outcome in the state. `gos` are the targets
 * of one wave taking the same source release: one Heroku promotion with several targets, each judged,
 * baked, verified and rolled back on its own. Never throws.
 */
export async function promotionSaga(
  state: PipelineState,
  gos: readonly Go[],
  launch: Launch,
  /** Sends the notices held while the promotion was on its way (a bake may last long). */
  baking: () => void = () => undefined,
): Promise<void> {
  const decidedAt = Date.now();
  const records = gos.map((go) => state.promotionStarted(go, decidedAt, uuid4()));
  const [record, ...others] = records;
  const go = gos[0];
  const targets = records.map((r) => r.to).join(', ');
  // Targets of one wave whose gates open at different moments go together at the last of them.
  const postAts = gos.flatMap((g) => (g.postAt === undefined ? [] : [g.postAt]));
  const postAt = postAts.length ? Math.max(...postAts) : undefined;
  try {
    const summary = `promote v${record.sourceVersion} ${shortSha(record.commit)} ${record.from} -> ${targets}${go.manual ? ` (by hand: ${go.manual.by})` : ''}`;
    const outcome = await promote.executeWithOptions({ summary }, [
      {
        pipelineId: launch.pipelineId,
        sourceApp: record.from,
        sourceAppId: launch.appIds.get(record.from)!,
        sourceReleaseId: go.candidate.source.id,
        artifactId: record.artifactId,
        targetApp: record.to,
        targetAppId: launch.appIds.get(record.to)!,
        targetReleaseId: launch.latestIds.get(record.to) ?? null,
        decision: { id: record.decisionId!, decidedAt },
        ...(postAt === undefined ? {} : { postAt }),
        ...(others.length
          ? {
              together: others.map((r) => ({
                targetApp: r.to,
                targetAppId: launch.appIds.get(r.to)!,
                targetReleaseId: launch.latestIds.get(r.to) ?? null,
                decision: { id: r.decisionId!, decidedAt },
              })),
            }
          : {}),
      },
    ]);
    const { together, ...own } = outcome;
    await Promise.all(
      records.map((r, i) =>
        afterPromotion(
          state,
          r,
          i === 0 ? own : (together?.[r.to] ?? { ...own, status: 'failed', error: `no outcome for ${r.to}` }),
          baking,
        ),
      ),
    );
  } catch (error) {
    // The activity's own error, not Heroku's verdict on the release: nothing is held against it.
    const { reason, permanent, notPosted } = explain(error);
    for (const r of records) {
      state.book.erred(r.to, reason, !notPosted, Date.now());
      if (permanent) state.blockedBy(`cannot promote into ${r.to}: ${reason}`, true, Date.now());
    }
  }
}

/** One target after Heroku's answer: recorded, or baked and verified, and rolled back when it fails. */
async function afterPromotion(
  state: PipelineState,
  record: PromotionRecord,
  outcome: PromotionOutcome,
  baking: () => void,
): Promise<void> {
  const { bakeMs } = stagePolicy(state.service, record.to);
  if (outcome.status !== 'succeeded' || !bakeMs)
    return state.book.finished(record.to, outcome, Date.now(), state.service.tickMs);
  state.promotionVerifying(record.to, outcome);
  baking();
  const problem = await verify(state.service, record.to, bakeMs);
  if (!problem) return state.book.finished(record.to, outcome, Date.now());
  let rolledBack: { version?: number; error?: string } | null = null;
  if (failureResponse(state.service, record.to).rollBack && record.previous) {
    rolledBack = record.previous.artifactId
      ? await rollback
          .executeWithOptions({ summary: `roll ${record.to} back to v${record.previous.version}` }, [
            {
              app: record.to,
              releaseId: record.previous.releaseId,
              artifactId: record.previous.artifactId,
              version: record.previous.version,
            },
          ])
          .catch((error) => ({ error: explain(error).reason }))
      : { error: `v${record.previous.version} has no slug or image to roll back to` };
  }
  state.verificationFailed(record.to, problem, rolledBack, Date.now());
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
    await sleep(Math.min(every, until - Date.now()), { summary: `bake ${stage}` });
    if (!alerts && !urls?.urls.length) continue;
    const health = await gatherHealth([
      { stage, ...(alerts ? { alerts } : {}), ...(urls?.urls.length ? { urls } : {}) },
    ]);
    const failing = bakeVerdict(health[stage]);
    if (failing) return `${failing.gate}: ${failing.reason}`;
  }
  return undefined;
}
