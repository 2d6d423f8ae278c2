// The bench's report as markdown (bench/results.md): one side-by-side table of the figures, each
// contender against the baseline as a ratio, and one table per size (the chart's data).

export interface Dist {
  n: number;
  p50: number;
  p99: number;
  max: number;
  /** Events that led to no POST within the bench's wait (left out of the percentiles). */
  missed?: number;
}

export interface ScaleRun {
  pipelines: number;
  /** All pipelines together, idle, per hour of (compressed) pipeline time. */
  herokuPerHour: number;
  githubPerHour: number;
  /** Merge to the 12th stage minus 11 soaks, seconds. */
  leadOverheadS: Dist | null;
  /** Pipelines whose merge did not reach the 12th stage in time. */
  leadMissed: number;
  ageToPostMs: Dist | null;
  resumeToPostMs: Dist | null;
  unfreezeToPostMs: Dist | null;
  /** conveyor only: a poller has no approvals. Absent in reports made before it was measured. */
  approvalToPostMs?: Dist | null;
  /** conveyor only: a poller has no windows. */
  windowToPostMs?: Dist | null;
  /** Of one core. */
  idleCpuPercent: number;
  busyCpuPercent: number;
  rssMb: number;
  /** The worker's peak RSS during the run (conveyor only). */
  peakRssMb?: number;
  idleHistoryPerPipelineHour: number | null;
}

export interface ContenderReport {
  name: string;
  available: boolean;
  note?: string;
  /** Runs that failed twice, with their error. */
  failures?: string[];
  cost?: {
    pipelines: number;
    idleHerokuPerPipelineHour: number;
    mergingHerokuPerPipelineHour: number;
    idleGithubPerPipelineHour: number;
    mergingGithubPerPipelineHour: number;
    idleHistoryPerPipelineHour: number | null;
    mergingHistoryPerPipelineHour: number | null;
    merges: number;
    promotionPosts?: number;
  };
  scale: ScaleRun[];
  pool?: {
    pipelines: number;
    bucket: number;
    refillPerMinute: number;
    hours: number;
    herokuRequests: number;
    http429: number;
    merges: number;
    promotionsDelivered: number;
    promotionPosts: number;
    cpuPercent: number;
    rssMb: number;
    /** After the merges stopped: how long until each pipeline's 12th stage ran its newest merge. */
    drain?: {
      /** The longest the run waited (pipeline hours). */
      maxHours: number;
      /** How long it waited (pipeline hours): until every pipeline arrived, or maxHours. */
      hours: number;
      /** Pipelines whose 12th stage ran their newest merged commit within it. */
      arrived: number;
      /** Pipeline hours from the last merge to each arrival. */
      arrivalHours: Dist | null;
      herokuRequests: number;
      http429: number;
      promotionPosts: number;
      /** Every Heroku request of window and drain, per promotion posted in them. */
      requestsPerPromotion: number | null;
      /** The promotion's own calls (its activity and release watches; conveyor's budget tally), per POST. */
      promotionRequestsPerPromotion: number | null;
      /** Promotions posted in the drain, per pipeline and pipeline hour: what the pool carried. */
      promotionsPerPipelineHour: number;
    };
  };
}

export interface BenchReport {
  settings: {
    factor: number;
    tickS: number;
    minAgeS: number;
    mergeEveryS: number;
    hours: number;
    poolHours: number;
    soakS: number;
    scaleTickS: number;
    idleS: number;
    stages: number;
    sizes: number[];
    pool: number;
    /** The account size the pool run's pipelines stand for (1,000 unless --pool-of). */
    poolOf?: number;
    cost: number;
    promotionDelayMs: number;
    releasePhaseMs: number;
    machine: string;
    budget: string;
    /** Added by hand to a report merged from runs (bench --from): where its rows come from. */
    notes?: string[];
  };
  contenders: ContenderReport[];
  elapsedS: number;
}

const LABELS: Record<string, string> = {
  baseline: 'baseline (cedar-style poller)',
  conveyor: 'conveyor (polling)',
  webhooks: 'conveyor + webhooks',
};

const num = (n: number | null | undefined, digits = 1): string =>
  n === null || n === undefined ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits });

const ratio = (a: number | null | undefined, b: number | null | undefined): string => {
  if (a === null || a === undefined || b === null || b === undefined) return '—';
  if (b === 0) return a === 0 ? '1 (both 0)' : '∞ (baseline 0)';
  const r = a / b;
  if (r === 0) return '0x';
  return `${r < 0.01 ? r.toPrecision(2) : num(r, 2)}x`;
};

const ms = (d: Dist | null) =>
  !d
    ? '—'
    : d.n === 0
      ? `none (${d.missed ?? 0} posted nothing)`
      : `${num(d.p50, 0)} / ${num(d.p99, 0)} ms${d.missed ? ` (${d.missed} posted nothing)` : ''}`;
const s = (d: Dist | null) => (d ? `${num(d.p50, 2)} / ${num(d.p99, 2)} s` : '—');

/** One row: a figure per contender, and each contender but the baseline as a ratio to it. */
type Figure = { label: string; of: (c: ContenderReport) => string; value?: (c: ContenderReport) => number | null };

/** The last line the bench writes: what follows it in results.md was written by hand or by another run, and is kept. */
export const CHART_LINE = '![requests per hour and lead time against the number of pipelines](results.png)';

/**
 * What an existing results.md keeps when the bench writes its tables again: what follows them
 * (hand-written sections, the waves run's), or all of it when it has none of the bench's tables.
 */
export function sectionsAfterTables(text: string): string {
  const end = text.indexOf(CHART_LINE);
  return (end < 0 ? text : text.slice(end + CHART_LINE.length)).replace(/^\n+/, '');
}

export function resultsMarkdown(report: BenchReport): string {
  const { settings: st } = report;
  const available = report.contenders.filter((c) => c.available);
  const baseline = available.find((c) => c.name === 'baseline');
  const others = report.contenders.filter((c) => c.name !== 'baseline');
  const largest = (c: ContenderReport) => c.scale.at(-1);
  const poolOf = (c: ContenderReport) => c.pool;
  const hours = (d: Dist | null) => (d ? `${num(d.p50)} / ${num(d.p99)} h` : '—');

  const figures: Figure[] = [
    {
      label: `Heroku requests per pipeline-hour, idle (${st.cost} pipelines)`,
      of: (c) => num(c.cost?.idleHerokuPerPipelineHour),
      value: (c) => c.cost?.idleHerokuPerPipelineHour ?? null,
    },
    {
      label: 'Heroku requests per pipeline-hour, a merge every 10 min (1 h)',
      of: (c) => num(c.cost?.mergingHerokuPerPipelineHour),
      value: (c) => c.cost?.mergingHerokuPerPipelineHour ?? null,
    },
    {
      label: 'Promotions posted in that hour (merges made), unlimited pool',
      of: (c) =>
        c.cost?.promotionPosts === undefined ? '—' : `${num(c.cost.promotionPosts, 0)} (${num(c.cost.merges, 0)})`,
      value: (c) => c.cost?.promotionPosts ?? null,
    },
    {
      label: 'GitHub requests per pipeline-hour, idle / merging',
      of: (c) => `${num(c.cost?.idleGithubPerPipelineHour)} / ${num(c.cost?.mergingGithubPerPipelineHour)}`,
    },
    {
      label: `Shared pool, ${st.pool} pipelines as ${num(st.poolOf ?? 1000, 0)}: 429 answers, ${num(st.poolHours)} h merging / drain`,
      of: (c) => (poolOf(c) ? `${num(poolOf(c)!.http429, 0)} / ${num(poolOf(c)!.drain?.http429, 0)}` : '—'),
      value: (c) => (poolOf(c) ? poolOf(c)!.http429 + (poolOf(c)!.drain?.http429 ?? 0) : null),
    },
    {
      label: 'Shared pool: Heroku requests sent (429s included), merging / drain',
      of: (c) => (poolOf(c) ? `${num(poolOf(c)!.herokuRequests, 0)} / ${num(poolOf(c)!.drain?.herokuRequests, 0)}` : '—'),
      value: (c) => poolOf(c)?.herokuRequests ?? null,
    },
    {
      label: 'Shared pool: promotions posted, merging (merges made) / drain',
      of: (c) =>
        poolOf(c)
          ? `${num(poolOf(c)!.promotionPosts, 0)} (${num(poolOf(c)!.merges, 0)}) / ${num(poolOf(c)!.drain?.promotionPosts, 0)}`
          : '—',
      value: (c) => (poolOf(c) ? poolOf(c)!.promotionPosts + (poolOf(c)!.drain?.promotionPosts ?? 0) : null),
    },
    {
      label: 'Shared pool: every change arrived (the 12th stage runs the newest merge), drain waited',
      of: (c) => {
        const d = poolOf(c)?.drain;
        if (!d) return '—';
        const ended = d.arrived === poolOf(c)!.pipelines ? 'all arrived' : `the ${num(d.maxHours, 0)} h cap`;
        return `${d.arrived} of ${poolOf(c)!.pipelines}, ${num(d.hours)} h (${ended})`;
      },
      value: (c) => poolOf(c)?.drain?.arrived ?? null,
    },
    {
      label: 'Shared pool: last merge -> 12th stage, p50 / p99 of those that arrived (pipeline hours; 11 soaks are 5.5 h)',
      of: (c) => hours(poolOf(c)?.drain?.arrivalHours ?? null),
      value: (c) => poolOf(c)?.drain?.arrivalHours?.p50 ?? null,
    },
    {
      label: 'Shared pool: Heroku requests per promotion posted, all / its promote activity and release watches',
      of: (c) =>
        poolOf(c)?.drain
          ? `${num(poolOf(c)!.drain!.requestsPerPromotion)} / ${num(poolOf(c)!.drain!.promotionRequestsPerPromotion)}`
          : '—',
      value: (c) => poolOf(c)?.drain?.requestsPerPromotion ?? null,
    },
    {
      label: `Shared pool: promotions carried per pipeline-hour (drain) / sustainable for ${num(st.poolOf ?? 1000, 0)} (4,500 an hour ÷ all requests per promotion)`,
      of: (c) => {
        const d = poolOf(c)?.drain;
        if (!d) return '—';
        const sustainable = d.requestsPerPromotion ? 4500 / d.requestsPerPromotion : null;
        return `${num(d.promotionsPerPipelineHour, 2)} / ${num(sustainable, 0)} an hour (${num(sustainable === null ? null : sustainable / (st.poolOf ?? 1000), 2)} per pipeline)`;
      },
      value: (c) => poolOf(c)?.drain?.promotionsPerPipelineHour ?? null,
    },
    {
      label: 'Age gate opens -> promotion POST, p50 / p99',
      of: (c) => ms(largest(c)?.ageToPostMs ?? null),
      value: (c) => largest(c)?.ageToPostMs?.p50 ?? null,
    },
    {
      label: 'Resume -> promotion POST, p50 / p99',
      of: (c) => ms(largest(c)?.resumeToPostMs ?? null),
      value: (c) => largest(c)?.resumeToPostMs?.p50 ?? null,
    },
    {
      label: 'Unfreeze -> promotion POST, p50 / p99',
      of: (c) => ms(largest(c)?.unfreezeToPostMs ?? null),
      value: (c) => largest(c)?.unfreezeToPostMs?.p50 ?? null,
    },
    {
      label: 'Approval -> promotion POST, p50 / p99 (a poller has no approvals)',
      of: (c) => ms(largest(c)?.approvalToPostMs ?? null),
      value: (c) => largest(c)?.approvalToPostMs?.p50 ?? null,
    },
    {
      label: 'Window opens (a blackout ends) -> promotion POST, p50 / p99 (a poller has no windows)',
      of: (c) => ms(largest(c)?.windowToPostMs ?? null),
      value: (c) => largest(c)?.windowToPostMs?.p50 ?? null,
    },
    {
      label: 'Merge -> 12th stage minus 11 soaks, p50 / p99',
      of: (c) => s(largest(c)?.leadOverheadS ?? null),
      value: (c) => largest(c)?.leadOverheadS?.p50 ?? null,
    },
    {
      label: 'History events per pipeline-hour, idle / merging',
      of: (c) =>
        c.name === 'baseline'
          ? 'none (no workflow)'
          : `${num(c.cost?.idleHistoryPerPipelineHour)} / ${num(c.cost?.mergingHistoryPerPipelineHour)}`,
    },
    {
      label: `Worker CPU (% of a core), idle / rolling out, ${Math.max(...st.sizes)} pipelines`,
      of: (c) => (largest(c) ? `${num(largest(c)!.idleCpuPercent)} / ${num(largest(c)!.busyCpuPercent)}` : '—'),
      value: (c) => largest(c)?.idleCpuPercent ?? null,
    },
    {
      label: `Worker RSS, ${Math.max(...st.sizes)} pipelines`,
      of: (c) => (largest(c) ? `${num(largest(c)!.rssMb, 0)} MB` : '—'),
      value: (c) => largest(c)?.rssMb ?? null,
    },
  ];

  const cell = (c: ContenderReport, f: Figure) => (c.available ? f.of(c) : `n/a (${c.note ?? 'not available'})`);
  const header = ['figure', ...(baseline ? [LABELS.baseline] : [])];
  for (const c of others) header.push(LABELS[c.name] ?? c.name, ...(baseline ? [`${c.name} / baseline`] : []));
  const rows = figures.map((f) => {
    const row = [f.label, ...(baseline ? [cell(baseline, f)] : [])];
    for (const c of others) {
      row.push(cell(c, f));
      if (baseline)
        row.push(c.available && f.value ? ratio(f.value(c), f.value(baseline)) : c.available ? '' : 'n/a');
    }
    return row;
  });

  const perSize = [
    [
      'pipelines',
      'contender',
      'Heroku req/hour (all, idle)',
      'GitHub req/hour',
      'lead time minus soaks p50 / p99',
      'reached 12th stage',
      'age -> POST p50 / p99',
      'resume -> POST',
      'unfreeze -> POST',
      'approval -> POST',
      'window -> POST',
      'CPU idle / busy',
      'RSS',
      'history events / pipeline-hour',
    ],
  ];
  for (const size of st.sizes)
    for (const c of available) {
      const r = c.scale.find((x) => x.pipelines === size);
      if (!r) continue;
      perSize.push([
        String(size),
        c.name,
        num(r.herokuPerHour, 0),
        num(r.githubPerHour, 0),
        s(r.leadOverheadS),
        `${size - r.leadMissed} of ${size}`,
        ms(r.ageToPostMs),
        ms(r.resumeToPostMs),
        ms(r.unfreezeToPostMs),
        ms(r.approvalToPostMs ?? null),
        ms(r.windowToPostMs ?? null),
        `${num(r.idleCpuPercent)} / ${num(r.busyCpuPercent)} %`,
        `${num(r.rssMb, 0)} MB${r.peakRssMb !== undefined ? ` (peak ${num(r.peakRssMb, 0)})` : ''}`,
        r.idleHistoryPerPipelineHour === null ? '—' : num(r.idleHistoryPerPipelineHour),
      ]);
    }

  const pool = available.find((c) => c.pool)?.pool;
  return [
    '# Bench: conveyor against a cedar-style poller',
    '',
    `\`npm run bench\`, ${report.elapsedS} s on ${st.machine}; one Temporal dev server and one sandbox per run.`,
    `Pipelines of ${st.stages} stages. Cost and pool runs: time compressed x${st.factor}, tick ${num(st.tickS, 2)} s (60 s), minAge ${num(st.minAgeS, 2)} s (30 min),`,
    `a merge every ${num(st.mergeEveryS, 2)} s (10 min); a pipeline-hour is ${num(3600 / st.factor, 1)} s of the run, each window ${num(st.hours, 2)} h.`,
    `Sandbox promotions take ${st.promotionDelayMs} ms and release phases ${st.releasePhaseMs} ms (not compressed).`,
    pool
      ? `Shared pool: ${st.pool} pipelines stand for ${num(st.poolOf ?? 1000, 0)} (1,000 pipelines do not run on this 2-core machine in minutes): Heroku's pool of 4,500 tokens and 75 a minute scaled by ${st.pool}/${st.poolOf ?? 1000} to ${num(pool.bucket, 0)} tokens and ${num(pool.refillPerMinute / st.factor, 3)} a minute, the refill also x${st.factor} for the compressed time (${num(pool.refillPerMinute, 2)} per real minute), for ${num(st.poolHours)} h of merges (one every 10 min per pipeline), then a drain without merges until every pipeline's 12th stage runs its newest merge (or a cap).`
      : '',
    `By number of pipelines (and the gate and lead-time rows): tick ${num(st.scaleTickS, 2)} s standing for 60 s (time x${num(60 / st.scaleTickS, 2)}: a poller's wait for its next tick is then ${num(st.scaleTickS / 2, 2)} s on average, where at 60 s it is 30 s), ${st.idleS} s idle, then a merge on every pipeline at once with a soak (minAge) of ${st.soakS} s, then a pause of every pipeline released one pipeline at a time over one tick (as people resume services), and a freeze released for all at once, each once the merge has soaked; gate latencies, CPU and RSS at ${Math.max(...st.sizes)} pipelines.`,
    `conveyor's Heroku request budget: ${st.budget}.`,
    ...(st.notes ?? []),
    'Ratios are contender / baseline (below 1: conveyor spends or waits less).',
    '',
    table(header, rows),
    '',
    '## By number of pipelines (unlimited budget)',
    '',
    table(perSize[0], perSize.slice(1)),
    '',
    ...failuresOf(report),
    CHART_LINE,
    '',
  ].join('\n');
}

function failuresOf(report: BenchReport): string[] {
  const lines = report.contenders.flatMap((c) => (c.failures ?? []).map((f) => `- ${c.name}: ${f}`));
  return lines.length > 0 ? ['Runs that failed (twice) and are missing above:', '', ...lines, ''] : [];
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
