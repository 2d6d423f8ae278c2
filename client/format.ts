import { shortSha } from '../domain/observation';
import { WAITING_GATES } from '../domain/override';
import { formatDuration } from '../domain/duration';
import type { Verdict } from '../domain/verdict';
import type { PairStatus, PipelineStatus, PromotionRecord } from '../domain/status';
import type { Applied, ConfigChange, Plan, PipelineSummary } from './pipelines';
import { painter, type Style } from './terminal';

type Paint = (style: Style, text: string) => string;
const plain: Paint = painter(false);

function table(rows: string[][]): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, col) => cell.padEnd(widths[col]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const span = (ms: number) => {
  const seconds = Math.round(Math.abs(ms) / 1000);
  return seconds < 120
    ? `${seconds}s`
    : seconds < 7200
      ? `${Math.round(seconds / 60)}m`
      : seconds < 172_800
        ? `${Math.round(seconds / 3600)}h`
        : `${Math.round(seconds / 86_400)}d`;
};

/** "in 6s" / "3m ago", computed against the moment it is shown, never the moment it was observed. */
export const when = (iso: string | null | undefined, now: number): string => {
  if (!iso) return '-';
  const ms = Date.parse(iso) - now;
  return ms >= 0 ? `in ${span(ms)}` : `${span(ms)} ago`;
};

/** The one time the pipeline looks again: "in 12s", or "due now" within the second. */
const nextLook = (iso: string | null, now: number) =>
  !iso ? '-' : Date.parse(iso) - now >= 1_000 ? when(iso, now) : 'due now';

const utc = (iso: string) => `${new Date(iso).toISOString().replace('T', ' ').slice(0, 16)} UTC`;

/** When a time-based verdict opens, from its recheckAt: "opens in 6s", or "due now" once it has passed. */
export const opens = (recheckAt: string | undefined, now: number): string | undefined =>
  recheckAt === undefined
    ? undefined
    : Date.parse(recheckAt) > now
      ? `opens ${when(recheckAt, now)}`
      : 'due now, at the next look';

const stateStyle: Record<PairStatus['state'], Style> = {
  'in-sync': 'green',
  waiting: 'dim',
  promoting: 'yellow',
  ready: 'green',
  gated: 'yellow',
  held: 'red',
};

function promotionLine(p: PromotionRecord, now: number): string {
  const outcome = p.outcome === 'in-flight' ? 'in flight' : p.outcome;
  const tail =
    (p.error ? `: ${p.error}` : p.targetVersion ? ` as v${p.targetVersion}` : '') +
    (p.manual
      ? `  [by hand: ${p.manual.by}, "${p.manual.reason}"${p.manual.skippedGates.length ? `, skipped ${p.manual.skippedGates.join(', ')}` : ''}]`
      : '');
  return `${p.from} -> ${p.to}  v${p.sourceVersion} ${shortSha(p.commit)}  ${outcome}${tail}  (started ${when(p.startedAt, now)})`;
}

function verdictLine(v: Verdict, now: number, paint: Paint): string {
  const open = v.ok ? undefined : opens(v.recheckAt, now);
  return `    ${v.ok ? paint('green', 'ok  ') : paint('red', 'HOLD')} ${v.gate.padEnd(12)} ${v.reason}${open ? ` (${open})` : ''}`;
}

/** The pairs and their verdicts, as status and plan show them. */
function pairLines(pairs: PairStatus[], now: number, paint: Paint, indent = ''): string[] {
  const lines: string[] = [];
  for (const pair of pairs) {
    lines.push(
      `${indent}${pair.from} -> ${pair.to}: ${paint(stateStyle[pair.state] ?? 'bold', pair.state)} (${pair.reason})`,
    );
    for (const v of pair.verdicts) lines.push(indent + verdictLine(v, now, paint));
  }
  return lines;
}

/** `conveyor status SERVICE`: stages, where the change is, every pair's gate verdicts, one next look. */
export function formatStatus(status: PipelineStatus, now = Date.now(), paint: Paint = plain): string {
  const lines: string[] = [];
  const where = status.currentStage
    ? `newest ${shortSha(status.currentStage.commit)} has reached ${status.currentStage.stage}`
    : 'not observed yet';
  const generation = status.generation ? `, generation ${status.generation}` : '';
  lines.push(
    `${paint('bold', status.service)}  (pipeline ${status.pipeline}, branch ${status.branch}${generation}): ${where}`,
  );
  if (status.paused)
    lines.push(
      paint('red', `PAUSED by ${status.paused.by} ${when(status.paused.since, now)}: ${status.paused.reason}`),
    );
  if (status.frozen)
    lines.push(
      paint('red', `FROZEN by ${status.frozen.by} ${when(status.frozen.since, now)}: ${status.frozen.reason}`) +
        (status.ignoresFreeze ? ' (this service ignores freezes)' : ''),
    );
  for (const w of status.waitingForApproval ?? [])
    lines.push(
      paint('yellow', `WAITING for approval into ${w.stage} since ${w.since}: ${shortSha(w.commit)}`) +
        ` (conveyor approve ${status.service} --to ${w.stage})`,
    );
  for (const a of status.approvals ?? [])
    lines.push(
      `APPROVED ${shortSha(a.commit)} into ${a.stage} by ${a.by} ${when(a.at, now)}${a.comment ? `: ${a.comment}` : ''}`,
    );
  for (const r of status.rejected)
    lines.push(paint('red', `REJECTED ${shortSha(r.commit)} by ${r.by} ${when(r.at, now)}: ${r.reason}`));
  if (status.blocked) lines.push(paint('red', `BLOCKED ${when(status.blocked.since, now)}: ${status.blocked.reason}`));
  lines.push('');
  lines.push(
    table([
      ['STAGE', 'RELEASE', 'COMMIT', 'STATUS', 'RELEASED'],
      ...status.stages.map((s) => [
        s.stage,
        s.version === null ? '-' : `v${s.version}`,
        shortSha(s.commit),
        (s.status ?? '-') + (s.latest ? ` (v${s.latest.version} ${s.latest.status})` : ''),
        when(s.releasedAt, now),
      ]),
    ]),
  );
  lines.push('', ...pairLines(status.pairs, now, paint));
  if (status.inFlight.length) {
    lines.push('', 'In flight:');
    for (const p of status.inFlight) lines.push(`  ${promotionLine(p, now)}`);
  }
  if (status.history.length) {
    lines.push('', 'Recent promotions:');
    for (const p of status.history) lines.push(`  ${promotionLine(p, now)}`);
  }
  lines.push('', `observed ${when(status.observedAt, now)}; next look ${nextLook(status.nextCheckAt, now)}`);
  if (status.webhooks?.on)
    lines.push(
      `webhooks on (last heard ${when(status.webhooks.seenAt, now)}): a release wakes it, fallback poll every ${formatDuration(status.webhooks.fallbackPollMs)}`,
    );
  return lines.join('\n');
}

export function formatList(pipelines: PipelineSummary[]): string {
  if (!pipelines.length) return 'no running pipelines (conveyor apply -f FILE starts them)';
  // The generation column appears once a pipeline's memo tells it (cedar or fir).
  if (!pipelines.some((p) => p.generation))
    return table([
      ['SERVICE', 'STAGE', 'PAUSED', 'WORKFLOW ID'],
      ...pipelines.map((p) => [p.service, p.stage ?? '-', p.paused ? 'yes' : 'no', p.workflowId]),
    ]);
  return table([
    ['SERVICE', 'GENERATION', 'STAGE', 'PAUSED', 'WORKFLOW ID'],
    ...pipelines.map((p) => [p.service, p.generation ?? '-', p.stage ?? '-', p.paused ? 'yes' : 'no', p.workflowId]),
  ]);
}

/** A config value the way it is written in the file: durations back to "30m". */
const shown = (key: string, value: unknown): string => {
  if (value === undefined) return '(none)';
  if (typeof value === 'number' && key.endsWith('Ms')) return formatDuration(value);
  return JSON.stringify(value);
};
const keyName = (key: string) => key.replace(/Ms$/, '');

export const formatChange = (c: ConfigChange) => `${keyName(c.key)}: ${shown(c.key, c.from)} -> ${shown(c.key, c.to)}`;

/** `conveyor plan`: what apply would start, change and stop, and how each changed pipeline's pairs would answer. */
export function formatPlan(plan: Plan, now = Date.now(), paint: Paint = plain): string {
  const lines: string[] = [];
  for (const s of plan.services) {
    const label = { start: paint('green', 'start    '), change: paint('yellow', 'change   '), unchanged: 'unchanged' }[
      s.action
    ];
    lines.push(`${label} ${s.workflowId}`);
    for (const c of s.changes) lines.push(`            ${formatChange(c)}`);
    if (s.would) {
      lines.push('          under the new config, now:');
      const before = new Map((s.now ?? []).map((p) => [`${p.from}>${p.to}`, p.state]));
      for (const line of pairLines(s.would, now, paint, '            ')) lines.push(line);
      const moved = s.would.filter(
        (p) => before.has(`${p.from}>${p.to}`) && before.get(`${p.from}>${p.to}`) !== p.state,
      );
      for (const p of moved)
        lines.push(`          ${p.from} -> ${p.to} would be ${p.state} (now ${before.get(`${p.from}>${p.to}`)})`);
    }
  }
  for (const name of plan.notInFile)
    lines.push(`${paint('red', 'not in the file')} conveyor/${name} (keeps running; apply --prune stops it)`);
  const count = (action: string) => plan.services.filter((s) => s.action === action).length;
  lines.push(
    '',
    `${count('start')} to start, ${count('change')} to change, ${count('unchanged')} unchanged, ${plan.notInFile.length} not in the file`,
  );
  return lines.join('\n');
}

export function formatApplied(
  applied: Applied[],
  notInFile: string[],
  stopped: string[],
  paint: Paint = plain,
): string {
  const lines = applied.map((a) => {
    const label =
      a.action === 'refused' ? paint('red', 'refused') : a.action === 'started' ? paint('green', 'started') : a.action;
    return `${label} ${a.workflowId}${a.message ? `: ${a.message}` : ''}`;
  });
  for (const name of stopped) lines.push(`${paint('red', 'stopped')} conveyor/${name} (not in the file)`);
  for (const name of notInFile.filter((n) => !stopped.includes(n)))
    lines.push(`not in the file: conveyor/${name} keeps running (apply --prune stops it)`);
  return lines.join('\n');
}

export interface Why {
  service: string;
  /** The pair asked about, or the one the newest change waits at; null when nothing waits. */
  pair: { from: string; to: string } | null;
  state: PairStatus['state'] | 'in-sync';
  /** Since when the change has been on the source stage. */
  since: string | null;
  holding: Verdict[];
  /** When every holding gate opens by itself; null when one of them has no set time. */
  opensAt: string | null;
  /** What to run to move it now. */
  commands: string[];
  text: string;
}

/** What would open a gate, in words, for `conveyor why`. */
function remedy(v: Verdict, service: string, to: string, now: number): string {
  const open = opens(v.recheckAt, now);
  switch (v.gate) {
    case 'allow':
      return /frozen/i.test(v.reason)
        ? 'the company-wide freeze ending (conveyor unfreeze)'
        : `a resume (conveyor resume ${service})`;
    case 'window':
    case 'age':
      return 'time alone';
    case 'approval':
      return `an approval (conveyor approve ${service} --to ${to})`;
    case 'ci':
      return "the commit's CI going green";
    case 'branch':
      return "the commit being on the service's branch";
    case 'forward':
      return 'a newer commit on the source (the target is never overwritten by an older or diverged one automatically)';
    default:
      return `the ${v.gate} check passing${open ? ` (${open})` : ''}`;
  }
}

/** `conveyor why SERVICE [--to STAGE]`: the one-paragraph answer to "why isn't my change moving". */
export function explainWhy(status: PipelineStatus, to: string | undefined, now = Date.now()): Why {
  const pairs = status.pairs;
  const start = status.currentStage?.index ?? 0;
  const pair = to
    ? pairs.find((p) => p.to === to)
    : (pairs.slice(start).find((p) => p.state !== 'in-sync') ?? pairs.find((p) => p.state !== 'in-sync'));
  const base = { service: status.service, holding: [] as Verdict[], opensAt: null, commands: [] as string[] };
  const blocked = status.blocked
    ? ` The pipeline is blocked ${when(status.blocked.since, now)}: ${status.blocked.reason}.`
    : '';
  if (!pair) {
    const where = status.currentStage
      ? `; the newest change ${shortSha(status.currentStage.commit)} has reached ${status.currentStage.stage}`
      : '';
    return {
      ...base,
      pair: null,
      state: 'in-sync',
      since: null,
      text: `${status.service}: nothing is waiting, every pair is in sync${where}.${blocked}`,
    };
  }
  const source = status.stages.find((s) => s.stage === pair.from);
  const change = source ? `${shortSha(source.commit)} (v${source.version})` : 'the change';
  const since = source?.releasedAt ?? null;
  const onSource = since
    ? ` has been on ${pair.from} since ${utc(since)} (${when(since, now)})`
    : ` is on ${pair.from}`;
  const holding = pair.verdicts.filter((v) => !v.ok);
  const times = holding.map((v) => v.recheckAt);
  const opensAt =
    holding.length && times.every((t): t is string => !!t)
      ? times.reduce((a, b) => (Date.parse(a) > Date.parse(b) ? a : b))
      : null;
  const commands: string[] = [];
  let text: string;
  if (pair.state === 'in-sync') {
    text = `${status.service}: ${pair.from} -> ${pair.to} is in sync (${pair.reason}); nothing waits there.`;
  } else if (pair.state === 'promoting' || pair.state === 'ready') {
    text = `${status.service}: ${change}${onSource} and is moving into ${pair.to}: ${pair.reason}.`;
  } else if (pair.state === 'held') {
    const failed = /failed/.test(pair.reason);
    const rejected = /rejected/.test(pair.reason);
    if (failed) commands.push(`conveyor retry ${status.service} --to ${pair.to} --reason "..."`);
    if (rejected && source?.commit)
      commands.push(`conveyor unreject ${status.service} --commit ${shortSha(source.commit)}`);
    text = `${status.service}: ${change}${onSource} and is held from ${pair.to}: ${pair.reason}. It does not move by itself${commands.length ? `; to try again: ${commands.join(' ; ')}` : ''}.`;
  } else if (pair.state === 'gated' && holding.length) {
    const gates = holding.map((v) => `${v.gate} (${v.reason})`).join('; ');
    const needs = [...new Set(holding.map((v) => remedy(v, status.service, pair.to, now)))].join(', and ');
    const waitingOnly = holding.every((v) => WAITING_GATES.includes(v.gate));
    commands.push(
      waitingOnly
        ? `conveyor promote ${status.service} --to ${pair.to} --reason "..."`
        : `conveyor promote ${status.service} --to ${pair.to} --reason "..." --skip-gates --yes`,
    );
    for (const v of holding)
      if (v.gate === 'approval') commands.unshift(`conveyor approve ${status.service} --to ${pair.to}`);
    const self = opensAt ? ` It opens by itself ${when(opensAt, now)}, at ${utc(opensAt)}.` : '';
    text =
      `${status.service}: ${change}${onSource} and waits to enter ${pair.to}, held by ${gates}.${self} ` +
      `What would open it: ${needs}. To override now: ${commands.at(-1)}${waitingOnly ? ' (overrules the waiting gates: pause, freeze, window, age)' : ' (overrules every gate, safety gates included)'}.`;
  } else {
    text = `${status.service}: ${change}${onSource}; ${pair.from} -> ${pair.to} is ${pair.state}: ${pair.reason}.`;
  }
  const next = status.nextCheckAt ? ` Next look ${nextLook(status.nextCheckAt, now)}.` : '';
  return {
    ...base,
    pair: { from: pair.from, to: pair.to },
    state: pair.state,
    since,
    holding,
    opensAt,
    commands,
    text: text + blocked + next,
  };
}
