// The bench's baseline: what a team writes without conveyor, after cedar-service-deployer. Every tick,
// for every pipeline, it reads every stage app's releases through heroku-client and promotes each
// stage whose running slug differs from the next stage's. It checks only what it reads anyway: the
// source release is minAge old (cedar's 30 minutes) and promotions are not paused or frozen (a flag it
// reads every tick, as cedar reads its settings). No CI, branch, forward or health gates, no
// durable timers, no budget: a 429 is logged and the next tick tries again.
import Heroku from 'heroku-client';

export interface CedarPipeline {
  name: string;
  /** App names, first stage first. */
  stages: string[];
}

/** A stage as one read of its releases tells it. */
export interface StageRead {
  app: string;
  appId: string;
  /** The running release (`current`), or null when the app has none. */
  release: { id: string; slugId: string | null; runningSinceMs: number } | null;
}

export interface CedarPromotion {
  source: StageRead;
  target: StageRead;
}

export interface CedarOptions {
  minAgeMs: number;
  tickMs: number;
}

/**
 * The poller's whole decision for one pipeline: every adjacent pair whose running slugs differ, whose
 * source release has run for minAge, and whose target has no promotion of it still in flight.
 */
export function promotionsToMake(
  stages: StageRead[],
  nowMs: number,
  minAgeMs: number,
  inFlight: ReadonlyMap<string, string> = new Map(),
): CedarPromotion[] {
  const out: CedarPromotion[] = [];
  for (let i = 0; i + 1 < stages.length; i++) {
    const [source, target] = [stages[i], stages[i + 1]];
    const slug = source.release?.slugId;
    if (!source.release || !slug || slug === target.release?.slugId) continue;
    if (nowMs < source.release.runningSinceMs + minAgeMs) continue;
    if (inFlight.get(target.app) === slug) continue;
    out.push({ source, target });
  }
  return out;
}

interface ReleaseJson {
  id: string;
  current: boolean;
  status: string;
  updated_at: string;
  slug: { id: string } | null;
}

export interface CedarCounters {
  ticks: number;
  promotions: number;
  failures: Record<string, number>;
}

/** The poller, running on heroku-client until `stop()`. */
export class CedarPoller {
  /** Every pipeline paused (a freeze). */
  paused = false;
  /** Pipelines paused one by one (a person's pause of one service). */
  readonly pausedPipelines = new Set<string>();
  readonly counters: CedarCounters = { ticks: 0, promotions: 0, failures: {} };
  private readonly heroku: Heroku;
  private readonly ids = new Map<string, { pipelineId: string; appIds: string[] }>();
  /** Target app -> the slug promoted into it and when, until the target runs it (or a minute passes). */
  private readonly inFlight = new Map<string, string>();
  private readonly postedAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(
    herokuUrl: string,
    token: string,
    private readonly pipelines: CedarPipeline[],
    private readonly options: CedarOptions,
    /** How many pipelines are read at once (the rest wait their turn within the tick). */
    private readonly concurrency = 25,
  ) {
    this.heroku = new Heroku({ host: herokuUrl, token });
  }

  /** Looks up the pipelines' and apps' ids once, as a poller caches them, then ticks until stopped. */
  async start(): Promise<void> {
    await this.batches(this.pipelines, async (p) => {
      const pipeline = (await this.heroku.get(`/pipelines/${p.name}`)) as { id: string };
      const appIds = await Promise.all(
        p.stages.map(async (app) => ((await this.heroku.get(`/apps/${app}`)) as { id: string }).id),
      );
      this.ids.set(p.name, { pipelineId: pipeline.id, appIds });
    });
    const loop = () => {
      if (this.stopped) return;
      const began = Date.now();
      this.running = this.tick().finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, Math.max(0, this.options.tickMs - (Date.now() - began)));
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private failed(what: string, error: unknown): void {
    const status = (error as { statusCode?: number }).statusCode;
    const key = `${what} ${status ?? 'error'}`;
    this.counters.failures[key] = (this.counters.failures[key] ?? 0) + 1;
  }

  private async tick(): Promise<void> {
    this.counters.ticks++;
    await this.batches(this.pipelines, (p) => this.reconcile(p));
  }

  private async reconcile(pipeline: CedarPipeline): Promise<void> {
    const ids = this.ids.get(pipeline.name)!;
    let stages: StageRead[];
    try {
      stages = await Promise.all(
        pipeline.stages.map(async (app, i): Promise<StageRead> => {
          const releases = (await this.heroku.get(`/apps/${app}/releases`, {
            headers: { Range: 'version ..; order=desc, max=10' },
            partial: true,
          })) as ReleaseJson[];
          const current = releases.find((r) => r.current && r.status === 'succeeded');
          return {
            app,
            appId: ids.appIds[i],
            release: current
              ? { id: current.id, slugId: current.slug?.id ?? null, runningSinceMs: Date.parse(current.updated_at) }
              : null,
          };
        }),
      );
    } catch (error) {
      this.failed('read', error);
      return;
    }
    const now = Date.now();
    for (const stage of stages) {
      const posted = this.postedAt.get(stage.app);
      if (posted !== undefined && (stage.release?.slugId === this.inFlight.get(stage.app) || now - posted > 60_000)) {
        this.inFlight.delete(stage.app);
        this.postedAt.delete(stage.app);
      }
    }
    if (this.paused || this.pausedPipelines.has(pipeline.name)) return;
    for (const { source, target } of promotionsToMake(stages, now, this.options.minAgeMs, this.inFlight)) {
      try {
        await this.heroku.post('/pipeline-promotions', {
          body: {
            pipeline: { id: ids.pipelineId },
            source: { app: { id: source.appId }, release: { id: source.release!.id } },
            targets: [{ app: { id: target.appId } }],
          },
        });
        this.inFlight.set(target.app, source.release!.slugId!);
        this.postedAt.set(target.app, now);
        this.counters.promotions++;
      } catch (error) {
        this.failed('promote', error);
      }
    }
  }

  private async batches<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
    for (let i = 0; i < items.length; i += this.concurrency)
      await Promise.all(items.slice(i, i + this.concurrency).map(work));
  }
}
