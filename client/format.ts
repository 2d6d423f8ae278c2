import { shortSha } from '../domain/observation';
import { WAITING_GATES } from '../domain/override';
import { formatDuration } from '../domain/duration';
import { moment, readableReason, relative } from '../domain/moment';
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

/** Which zone this run shows moments in: the viewer's own, or UTC (`--utc`). */
let zone = 'local';
export const showTimesIn = (name: 'local' | 'utc') => {
  zone = name;
};
const zoneName = () => zone;

/** A moment as every surface shows it (domain/moment.ts): local wall clock with zone, and how far from now. */
export const when = (iso: string | null | undefined, now: number): string => (iso ? moment(iso, now, zone) : '-');

/** The one time the pipeline looks again: "in 12s", or "due now" within the second. */
const nextLook = (iso: string | null, now: number) =>
  !iso ? '-' : Date.parse(iso) - now >= 1_000 ? relative(iso, now) : 'due now';

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
  return `    ${v.ok ? paint('green', 'ok  ') : paint('red', 'HOLD')} ${v.gate.padEnd(12)} ${readableReason(v.reason, now, zone)}${open ? ` (${open})` : ''}`;
}

export const notCheckedText = (n: { heldFirstBy: string }) => `not checked yet (held first by ${n.heldFirstBy})`;

/** The pairs and their verdicts, as status and plan show them. */
function pairLines(pairs: PairStatus[], now: number, paint: Paint, indent = ''): string[] {
  const lines: string[] = [];
  for (const pair of pairs) {
    lines.push(
      `${indent}${pair.from} -> ${pair.to}: ${paint(stateStyle[pair.state] ?? 'bold', pair.state)} (${pair.reason})`,
    );
    for (const v of pair.verdicts) lines.push(indent + verdictLine(v, now, paint));
    for (const n of pair.notChecked ?? [])
      lines.push(`${indent}    ${paint('dim', '--  ')} ${n.gate.padEnd(12)} ${notCheckedText(n)}`);
  }
  return lines;
}

/** One line per stage that needs approval: waiting, approved or rejected, never two of them for one stage. */
function approvalLines(status: PipelineStatus, now: number, paint: Paint): string[] {
  const states = status.approvalStates ??
    // A pipeline that answers without approvalStates (an older worker): the two lists, as they came.
    [
      ...status.waitingForApproval.map((w) => ({ ...w, state: 'waiting' as const, by: undefined, note: undefined })),
      ...status.approvals.map((a) => ({ ...a, state: 'approved' as const, since: a.at, note: a.comment })),
    ];
  return states.map((d) => {
    const sha = shortSha(d.commit);
    switch (d.state) {
      case 'waiting':
        return (
          paint('yellow', `WAITING for approval into ${d.stage} since ${when(d.since, now)}: ${sha}`) +
          ` (conveyor approve ${status.service} --to ${d.stage})`
        );
      case 'approved':
        return `APPROVED ${sha} into ${d.stage} by ${d.by} ${when(d.since, now)}${d.note ? `: ${d.note}` : ''}`;
      case 'rejected':
        return paint(
          'red',
          `REJECTED ${sha}, so not waiting for approval into ${d.stage} (rejected by ${d.by}${d.note ? `: ${d.note}` : ''})`,
        );
    }
  });
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
  for (const [app, hold] of Object.entries(status.held ?? {}))
    lines.push(paint('red', `HELD ${app} by ${hold.by} ${when(hold.since, now)}: ${hold.reason}`));
  if (status.frozen)
    lines.push(
      paint('red', `FROZEN by ${status.frozen.by} ${when(status.frozen.since, now)}: ${status.frozen.reason}`) +
        (status.ignoresFreeze ? ' (this service ignores freezes)' : ''),
    );
  for (const line of approvalLines(status, now, paint)) lines.push(line);
  for (const r of status.rejected)
    lines.push(paint('red', `REJECTED ${shortSha(r.commit)} by ${r.by} ${when(r.at, now)}: ${r.reason}`));
  if (status.blocked) lines.push(paint('red', `BLOCKED ${when(status.blocked.since, now)}: ${status.blocked.reason}`));
  lines.push('');
  lines.push(
    table([
      ['STAGE', 'RELEASE', 'COMMIT', 'STATUS', 'RELEASED', 'BEHIND'],
      ...status.stages.map((s) => [
        s.stage,
        s.version === null ? '-' : `v${s.version}`,
        shortSha(s.commit),
        (s.status ?? '-') + (s.latest ? ` (v${s.latest.version} ${s.latest.status})` : ''),
        when(s.releasedAt, now),
        s.behind ? `behind ${s.behind.stage} (${shortSha(s.behind.commit)})` : '-',
      ]),
    ]),
  );
  if (status.waves?.some((wave) => wave.apps.length > 1)) {
    lines.push('', 'Waves (apps promoted together):');
    status.waves.forEach((wave, i) =>
      lines.push(
        `  ${i + 1}. ${wave.apps.join(', ')}: ${wave.version === null ? 'no release' : `v${wave.version} (${shortSha(wave.commit)})`} ${wave.label}`,
      ),
    );
  }
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
  if (status.config)
    lines.push(
      `config ${status.config.digest} in force ${status.config.appliedAt ? `since ${when(status.config.appliedAt, now)} (conveyor apply)` : 'since the pipeline started'}`,
    );
  if (status.webhooks?.on)
    lines.push(
      `webhooks on (last heard ${when(status.webhooks.seenAt, now)}): a release wakes it, fallback poll every ${formatDuration(status.webhooks.fallbackPollMs)}`,
    );
  return lines.join('\n');
}

export function formatList(pipelines: PipelineSummary[]): string {
  if (!pipelines.length) return 'no running pipelines (conveyor apply -f FILE starts them)';
  // The generation column appears once a pipeline tells it runs on another generation than Cedar.
  const generations = pipelines.some((p) => p.generation && p.generation !== 'cedar');
  return [
    table([
      ['SERVICE', ...(generations ? ['GENERATION'] : []), 'NEWEST AT', 'STATE', 'WORKFLOW ID'],
      ...pipelines.map((p) => [
        p.service,
        ...(generations ? [p.generation ?? '-'] : []),
        p.stage ?? '-',
        p.state ?? (p.paused ? 'paused' : '-'),
        p.workflowId,
      ]),
    ]),
    '',
    'NEWEST AT: the furthest stage the newest commit has reached.',
    'STATE: paused, frozen or blocked first, then what holds releases (a gate, an approval, a failure),',
    'else moving, soaking or in sync. conveyor status SERVICE shows every stage; conveyor why SERVICE what to do.',
  ].join('\n');
}

/** A config value the way it is written in the file (configChanges already names and writes it so). */
const shown = (value: unknown): string =>
  value === undefined ? '(none)' : typeof value === 'string' ? value : JSON.stringify(value);

export const formatChange = (c: ConfigChange) => `${c.key}: ${shown(c.from)} -> ${shown(c.to)}`;

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

/** One gate holding the pair `why` asks about: what holds, what opens it, the command that does. */
export interface WhyLine {
  gate: string;
  reason: string;
  /** What would open it, in words. */
  opensWith: string;
  /** When it opens by itself (ISO 8601), for time-based gates. */
  opensAt?: string;
  /** The command that opens it or goes past it, when one does. */
  command?: string;
  /** What the command overrules, when it overrules more than this gate. */
  warning?: string;
}

export interface Why {
  service: string;
  /** The pair asked about, or the one the newest change waits at; null when nothing waits. */
  pair: { from: string; to: string } | null;
  state: PairStatus['state'] | 'in-sync';
  /** Since when the change has been on the source stage. */
  since: string | null;
  holding: Verdict[];
  /** One line per holding gate, most important first. */
  lines: WhyLine[];
  /** Gates not read yet because a cheaper gate held. */
  notChecked: { gate: string; heldFirstBy: string }[];
  /** When every holding gate opens by itself; null when one of them has no set time. */
  opensAt: string | null;
  /** What to run to move it now, most important first. */
  commands: string[];
  text: string;
}

/**
 * Which holding gate `why` names first: what only a person ends (a pause or freeze, an approval),
 * then what the change itself must fix (safety gates), then what time alone opens.
 */
const IMPORTANCE = [
  'allow',
  'approval',
  'ci',
  'incident',
  'alerts',
  'urls',
  'zeroDowntime',
  'webhook',
  'branch',
  'forward',
  'checks',
  'window',
  'age',
  'wave',
];
const rank = (gate: string) => {
  const at = IMPORTANCE.indexOf(gate);
  return at < 0 ? IMPORTANCE.length : at;
};

/** What opens one holding gate, and the command that does it (domain/override.ts says which gates promote overrules). */
function whyLine(v: Verdict, status: PipelineStatus, to: string, now: number, safety: string[]): WhyLine {
  const service = status.service;
  const base = { gate: v.gate, reason: readableReason(v.reason, now, zoneName()) };
  const timed = v.recheckAt ? { opensAt: v.recheckAt } : {};
  const goNow = `conveyor promote ${service} --to ${to} --reason "..."`;
  const skip = `${goNow} --skip-gates --yes`;
  const skipWarning = `overrules every gate, safety gates included (${safety.join(', ')})`;
  switch (v.gate) {
    case 'allow':
      if (/^frozen/i.test(v.reason))
        return { ...base, opensWith: 'the company-wide freeze ending', command: 'conveyor unfreeze' };
      return status.held?.[to] && !status.paused
        ? { ...base, opensWith: `a resume of ${to}`, command: `conveyor resume ${service} --stage ${to}` }
        : { ...base, opensWith: 'a resume', command: `conveyor resume ${service}` };
    case 'approval':
      return { ...base, opensWith: 'an approval', command: `conveyor approve ${service} --to ${to}` };
    case 'window':
    case 'age':
    case 'wave':
      return {
        ...base,
        ...timed,
        opensWith: v.recheckAt ? `time alone, ${when(v.recheckAt, now)}` : 'time alone',
        command: goNow,
        warning: 'overrules the waiting gates (pause, freeze, window, age, wave) only',
      };
    case 'checks':
      return { ...base, ...timed, opensWith: 'the next look, which reads them' };
    case 'ci':
      return { ...base, opensWith: "the commit's CI going green", command: skip, warning: skipWarning };
    case 'branch':
      return {
        ...base,
        opensWith: "the commit being on the service's branch",
        command: skip,
        warning: skipWarning,
      };
    case 'forward':
      return {
        ...base,
        opensWith: 'a newer commit on the source (an older or diverged one never overwrites the target by itself)',
        command: skip,
        warning: skipWarning,
      };
    default:
      return {
        ...base,
        ...timed,
        opensWith: `the ${v.gate} check passing${v.recheckAt ? `, looked at again ${when(v.recheckAt, now)}` : ''}`,
        command: skip,
        warning: skipWarning,
      };
  }
}

const whyLineText = (line: WhyLine): string =>
  `  ${line.gate}: ${line.reason} | opens with ${line.opensWith}` +
  (line.command ? ` | run: ${line.command}${line.warning ? ` (${line.warning})` : ''}` : '');

/**
 * `conveyor why SERVICE [--to STAGE]`: the change and where it waits, then one line per holding
 * gate, most important first, each with what opens it and the command to run. `--skip-gates` is
 * offered only for a gate nothing else opens, with what it skips.
 */
export function explainWhy(status: PipelineStatus, to: string | undefined, now = Date.now()): Why {
  const pairs = status.pairs;
  const start = status.currentStage?.index ?? 0;
  const pair = to
    ? pairs.find((p) => p.to === to)
    : (pairs.slice(start).find((p) => p.state !== 'in-sync') ?? pairs.find((p) => p.state !== 'in-sync'));
  const base = {
    service: status.service,
    holding: [] as Verdict[],
    lines: [] as WhyLine[],
    notChecked: [] as { gate: string; heldFirstBy: string }[],
    opensAt: null,
    commands: [] as string[],
  };
  const blocked = status.blocked
    ? `The pipeline is blocked since ${when(status.blocked.since, now)}: ${status.blocked.reason}`
    : '';
  const next = status.nextCheckAt ? `Next look ${nextLook(status.nextCheckAt, now)}.` : '';
  const join = (...parts: string[]) => parts.filter(Boolean).join('\n');
  if (!pair) {
    const where = status.currentStage
      ? `; the newest change ${shortSha(status.currentStage.commit)} has reached ${status.currentStage.stage}`
      : '';
    return {
      ...base,
      pair: null,
      state: 'in-sync',
      since: null,
      text: join(`${status.service}: nothing is waiting, every pair is in sync${where}.`, blocked),
    };
  }
  const source = status.stages.find((s) => s.stage === pair.from);
  const change = source ? `${shortSha(source.commit)} (v${source.version})` : 'the change';
  const since = source?.releasedAt ?? null;
  const onSource = since ? ` has been on ${pair.from} since ${when(since, now)}` : ` is on ${pair.from}`;
  const holding = pair.verdicts.filter((v) => !v.ok);
  const times = holding.map((v) => v.recheckAt);
  const opensAt =
    holding.length && times.every((t): t is string => !!t)
      ? times.reduce((a, b) => (Date.parse(a) > Date.parse(b) ? a : b))
      : null;
  const safety = pair.verdicts.map((v) => v.gate).filter((g) => !WAITING_GATES.includes(g));
  const lines = [...holding]
    .sort((a, b) => rank(a.gate) - rank(b.gate))
    .map((v) => whyLine(v, status, pair.to, now, safety));
  const notChecked = pair.notChecked ?? [];
  let head: string;
  const commands: string[] = [];
  if (pair.state === 'in-sync') {
    head = `${status.service}: ${pair.from} -> ${pair.to} is in sync (${pair.reason}); nothing waits there.`;
  } else if (pair.state === 'promoting' || pair.state === 'ready') {
    head = `${status.service}: ${change}${onSource} and is moving into ${pair.to}: ${pair.reason}.`;
  } else if (pair.state === 'held') {
    if (/failed/.test(pair.reason)) commands.push(`conveyor retry ${status.service} --to ${pair.to} --reason "..."`);
    if (/rejected/.test(pair.reason) && source?.commit)
      commands.push(`conveyor unreject ${status.service} --commit ${shortSha(source.commit)}`);
    head = `${status.service}: ${change}${onSource} and is held from ${pair.to}: ${pair.reason}. It does not move by itself${commands.length ? `; to try again: ${commands.join(' ; ')}` : ''}.`;
  } else if (pair.state === 'gated' && holding.length) {
    const self = opensAt ? ` Every holding gate opens by itself ${when(opensAt, now)}.` : '';
    head = `${status.service}: ${change}${onSource} and waits to enter ${pair.to}, held by ${holding.length} gate${holding.length === 1 ? '' : 's'}:`;
    // Only the most important gate's command matters first; a person-only gate is never skipped past.
    const personal = lines.filter((l) => l.gate === 'allow' || l.gate === 'approval');
    const safetyHeld = lines.filter((l) => l.command?.includes('--skip-gates'));
    for (const line of personal) commands.push(line.command!);
    if (
      holding.every((v) => WAITING_GATES.includes(v.gate)) &&
      lines.some((l) => l.gate === 'window' || l.gate === 'age' || l.gate === 'wave')
    )
      commands.push(`conveyor promote ${status.service} --to ${pair.to} --reason "..."`);
    if (safetyHeld.length) commands.push(safetyHeld[0].command!);
    return {
      ...base,
      pair: { from: pair.from, to: pair.to },
      state: pair.state,
      since,
      holding,
      lines,
      notChecked,
      opensAt,
      commands: [...new Set(commands)],
      text: join(
        head,
        ...lines.map(whyLineText),
        ...notChecked.map((n) => `  ${n.gate}: ${notCheckedText(n)}`),
        self.trim(),
        blocked,
        next,
      ),
    };
  } else {
    head = `${status.service}: ${change}${onSource}; ${pair.from} -> ${pair.to} is ${pair.state}: ${pair.reason}.`;
  }
  return {
    ...base,
    pair: { from: pair.from, to: pair.to },
    state: pair.state,
    since,
    holding,
    lines,
    notChecked,
    opensAt,
    commands,
    text: join(head, blocked, next),
  };
}
