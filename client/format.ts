import { shortSha } from '../domain/observation';
import type { PipelineStatus, PromotionRecord } from '../workflows/status';
import type { PipelineSummary } from './pipelines';

function table(rows: string[][]): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col])).join('  ').trimEnd()).join('\n');
}

const when = (iso: string | null | undefined, now: number): string => {
  if (!iso) return '-';
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const span = Math.abs(seconds) < 120 ? `${Math.abs(seconds)}s` : Math.abs(seconds) < 7200 ? `${Math.round(Math.abs(seconds) / 60)}m` : `${Math.round(Math.abs(seconds) / 3600)}h`;
  return seconds >= 0 ? `in ${span}` : `${span} ago`;
};

function promotionLine(p: PromotionRecord, now: number): string {
  const outcome = p.outcome === 'in-flight' ? 'in flight' : p.outcome;
  const tail = (p.error ? `: ${p.error}` : p.targetVersion ? ` as v${p.targetVersion}` : '') +
    (p.manual ? `  [by hand: ${p.manual.by}, "${p.manual.reason}"${p.manual.skippedGates.length ? `, skipped ${p.manual.skippedGates.join(', ')}` : ''}]` : '');
  return `${p.from} -> ${p.to}  v${p.sourceVersion} ${shortSha(p.commit)}  ${outcome}${tail}  (started ${when(p.startedAt, now)})`;
}

/** `conveyor status SERVICE`: stages, where the change is, every pair's gate verdicts. */
export function formatStatus(status: PipelineStatus, now = Date.now()): string {
  const lines: string[] = [];
  const where = status.currentStage ? `newest ${shortSha(status.currentStage.commit)} has reached ${status.currentStage.stage}` : 'not observed yet';
  lines.push(`${status.service}  (pipeline ${status.pipeline}, branch ${status.branch}): ${where}`);
  if (status.paused) lines.push(`PAUSED by ${status.paused.by} ${when(status.paused.since, now)}: ${status.paused.reason}`);
  if (status.frozen) lines.push(`FROZEN by ${status.frozen.by} ${when(status.frozen.since, now)}: ${status.frozen.reason}${status.ignoresFreeze ? ' (this service ignores freezes)' : ''}`);
  for (const w of status.waitingForApproval ?? []) lines.push(`WAITING for approval into ${w.stage} since ${w.since}: ${shortSha(w.commit)} (conveyor approve ${status.service} --to ${w.stage})`);
  for (const a of status.approvals ?? []) lines.push(`APPROVED ${shortSha(a.commit)} into ${a.stage} by ${a.by} ${when(a.at, now)}${a.comment ? `: ${a.comment}` : ''}`);
  for (const r of status.rejected) lines.push(`REJECTED ${shortSha(r.commit)} by ${r.by} ${when(r.at, now)}: ${r.reason}`);
  if (status.blocked) lines.push(`BLOCKED ${when(status.blocked.since, now)}: ${status.blocked.reason}`);
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
  lines.push('');
  for (const pair of status.pairs) {
    const recheck = pair.recheckAt ? `, rechecked ${when(pair.recheckAt, now)}` : '';
    lines.push(`${pair.from} -> ${pair.to}: ${pair.state} (${pair.reason}${recheck})`);
    for (const v of pair.verdicts) lines.push(`    ${v.ok ? 'ok  ' : 'HOLD'} ${v.gate.padEnd(8)} ${v.reason}${v.recheckAt ? ` (opens ${when(v.recheckAt, now)})` : ''}`);
  }
  if (status.inFlight.length) {
    lines.push('', 'In flight:');
    for (const p of status.inFlight) lines.push(`  ${promotionLine(p, now)}`);
  }
  if (status.history.length) {
    lines.push('', 'Recent promotions:');
    for (const p of status.history) lines.push(`  ${promotionLine(p, now)}`);
  }
  lines.push('', `observed ${when(status.observedAt, now)}; next check ${when(status.nextCheckAt, now)}`);
  return lines.join('\n');
}

export function formatList(pipelines: PipelineSummary[]): string {
  if (!pipelines.length) return 'no running pipelines (conveyor apply -f FILE starts them)';
  return table([
    ['SERVICE', 'STAGE', 'PAUSED', 'WORKFLOW ID'],
    ...pipelines.map((p) => [p.service, p.stage ?? '-', p.paused ? 'yes' : 'no', p.workflowId]),
  ]);
}
