// What one row of the dashboard's fleet view needs, derived from a pipeline's status. Pure: no
// clock, no I/O, no Temporal. The workflow keeps it in its memo (`fleet`), so the dashboard reads
// every service with one visibility call instead of one query per service.
import type { PairStatus, PipelineStatus, PromotionRecord, StageStatus } from './status';
import { shortSha } from './observation';

/**
 * The state of one stage, as a person asks "what is happening to the release here?":
 * - `in-sync`: nothing to move (it runs what the next stage runs, or it is the last stage)
 * - `soaking`: its release must age before it moves on; `until` is when the age gate opens
 * - `held`: a gate (or a rejection) keeps its release from moving on; `gates` names them
 * - `waiting`: it cannot move yet for a reason that is no gate (a release phase running, a stage busy)
 * - `ready`: its release passed every gate and is leaving (a promotion out of it starts or runs)
 * - `promoting` / `verifying`: a release is coming in (`incoming`), or bakes under health checks
 * - `failed`: the last release sent into it failed there
 * - `rolled-back`: verification failed and it runs the release it ran before
 */
export type CellState =
  'in-sync' | 'soaking' | 'held' | 'waiting' | 'ready' | 'promoting' | 'verifying' | 'failed' | 'rolled-back';

export interface FleetCell {
  /** The Heroku app of the stage. */
  app: string;
  version: number | null;
  /** Full commit sha of the release it runs. */
  commit: string | null;
  /** When that release started running there (ISO 8601). */
  since: string | null;
  state: CellState;
  /** soaking: when the age gate opens; held: when the holding gates are looked at again (ISO 8601). */
  until?: string;
  /** held: the gates that hold, in gate order (`rejected` for a rejected release). */
  gates?: string[];
  /** One short line saying why (held, waiting, failed, rolled back). */
  reason?: string;
  /** promoting / verifying: the release coming in and since when. */
  incoming?: { version: number; commit: string | null; since: string; by?: string };
  /**
   * The stage the state is about when it describes the release leaving this one (in-sync, soaking,
   * held, waiting, ready): the pair's state, not the stage's own. Absent on the last stage, and for
   * the states of the stage itself (promoting, verifying, failed, rolled-back).
   */
  next?: string;
  /** The stage before runs another commit: what would come here next. */
  behind?: { stage: string; version: number | null };
}

export interface FleetSummary {
  service: string;
  pipeline: string;
  /** GitHub owner/name, when the caller knows it (the status does not carry it). */
  repo?: string;
  branch: string;
  /** Heroku's platform generation (`cedar`, `fir`), once observed. */
  generation?: string;
  stages: FleetCell[];
  paused: { by: string; reason: string; since: string } | null;
  /** A company-wide freeze holds this service (false for services that ignore freezes). */
  frozen: boolean;
  blocked: { reason: string; since: string } | null;
  /** Apps held alone (a failed verification in a wave), each until a person resumes it. */
  held?: string[];
  /** Releases rejected by hand or by a failed verification. */
  rejected: number;
  /** Commits waiting for a person's approval into a stage (none approved them yet). */
  waitingForApproval?: { stage: string; commit: string; since: string }[];
  /** The service's waves (several apps in one stage): the apps of each, in stage order, and "2 of 3 soaked". */
  waves?: { apps: string[]; label: string }[];
  observedAt: string | null;
}

const REASON_MAX = 160;
const short = (text: string) => (text.length > REASON_MAX ? `${text.slice(0, REASON_MAX - 1)}…` : text);

/** The newest history record of a promotion into `stage` (history is newest first). */
const lastInto = (history: PromotionRecord[], stage: string) => history.find((r) => r.to === stage);

function incomingState(
  stage: StageStatus,
  into: PairStatus | undefined,
  status: PipelineStatus,
): Partial<FleetCell> | undefined {
  const flight = status.inFlight.find((r) => r.to === stage.stage);
  if (flight) {
    return {
      state: flight.outcome === 'verifying' ? 'verifying' : 'promoting',
      incoming: {
        version: flight.sourceVersion,
        commit: flight.commit,
        since: flight.startedAt,
        ...(flight.manual ? { by: flight.manual.by } : {}),
      },
      ...(flight.outcome === 'verifying'
        ? { reason: `v${flight.targetVersion ?? flight.sourceVersion} bakes under ${stage.stage}'s health checks` }
        : {}),
    };
  }
  const last = lastInto(status.history, stage.stage);
  if (last?.outcome === 'rolled-back' && last.verification?.rollbackVersion === stage.version) {
    return {
      state: 'rolled-back',
      reason: short(
        `${shortSha(last.commit)} failed verification (${last.verification.problem}); back to v${last.previous?.version ?? '?'}`,
      ),
    };
  }
  if (last?.outcome === 'verification-failed' && last.commit && last.commit === stage.commit) {
    return {
      state: 'failed',
      reason: short(`${shortSha(last.commit)} failed verification: ${last.verification?.problem ?? 'unknown problem'}`),
    };
  }
  if (stage.latest?.status === 'failed') {
    return {
      state: 'failed',
      reason: short(
        `v${stage.latest.version} (${shortSha(stage.latest.commit)}) failed its release${last?.error ? `: ${last.error}` : ''}`,
      ),
    };
  }
  if (last?.outcome === 'failed' && into?.state === 'held') {
    return {
      state: 'failed',
      reason: short(`promotion of ${shortSha(last.commit)} failed: ${last.error ?? 'unknown error'}`),
    };
  }
  return undefined;
}

function outgoingState(out: PairStatus | undefined): Partial<FleetCell> {
  if (!out) return { state: 'in-sync' };
  switch (out.state) {
    case 'in-sync':
      return { state: 'in-sync' };
    case 'ready':
    case 'promoting':
      return {
        state: 'ready',
        reason: short(out.state === 'promoting' ? `going into ${out.to}` : `passed every gate into ${out.to}`),
      };
    case 'waiting':
      return { state: 'waiting', reason: short(out.reason) };
    case 'held':
      return { state: 'held', gates: [/rejected/.test(out.reason) ? 'rejected' : 'failed'], reason: short(out.reason) };
    case 'gated': {
      const failing = out.verdicts.filter((v) => !v.ok);
      if (failing.length > 0 && failing.every((v) => v.gate === 'age' || v.gate === 'wave')) {
        return {
          state: 'soaking',
          ...(failing[0].recheckAt ? { until: failing[0].recheckAt } : {}),
          reason: short(failing[0].reason),
        };
      }
      // One gate: its reason (the badge names the gate); several: each named.
      const reason =
        failing.length === 1
          ? failing[0].reason
          : failing.map((v) => `${v.gate}: ${v.reason}`).join('; ') || out.reason;
      return {
        state: 'held',
        gates: failing.map((v) => v.gate),
        ...(out.recheckAt ? { until: out.recheckAt } : {}),
        reason: short(reason),
      };
    }
  }
}

/**
 * One row of the fleet view: per stage the release it runs and its state, and the row's marks.
 * `repo` is the service's GitHub repository (not part of the status), for commit links.
 */
export function fleetSummary(status: PipelineStatus, repo?: string): FleetSummary {
  const waiting = (status.approvalStates?.filter((d) => d.state === 'waiting') ?? status.waitingForApproval).map(
    ({ stage, commit, since }) => ({ stage, commit, since }),
  );
  // In a wave every app tells the release leaving the wave (the pairs start at its first app).
  const waveOf = (app: string) => status.waves?.find((wave) => wave.apps.includes(app));
  const stages = status.stages.map((stage, i): FleetCell => {
    const wave = waveOf(stage.stage);
    const into = status.pairs.find((p) => p.to === stage.stage);
    const out = status.pairs.find((p) => p.from === (wave?.apps[0] ?? stage.stage));
    const last = wave ? wave === status.waves!.at(-1) : i === status.stages.length - 1;
    const incoming = incomingState(stage, into, status);
    const state =
      incoming ??
      (last ? { state: 'in-sync' as const } : { ...outgoingState(out), next: out?.to ?? status.stages[i + 1].stage });
    // An app held alone says so on its own cell: what failed there stays shown, the hold comes first.
    const hold = status.held?.[stage.stage];
    const shown: Partial<FleetCell> = !hold
      ? state
      : state.state === 'failed' || state.state === 'rolled-back'
        ? { ...state, reason: short(`held until resumed; ${state.reason ?? hold.reason}`) }
        : { state: 'held', gates: ['allow'], reason: short(`held until resumed: ${hold.reason}`) };
    return {
      app: stage.stage,
      version: stage.version,
      commit: stage.commit,
      since: stage.releasedAt,
      state: 'in-sync',
      ...shown,
      ...(stage.behind ? { behind: { stage: stage.behind.stage, version: stage.behind.version } } : {}),
    };
  });
  return {
    service: status.service,
    pipeline: status.pipeline,
    ...(repo ? { repo } : {}),
    branch: status.branch,
    ...(status.generation ? { generation: status.generation } : {}),
    stages,
    paused: status.paused
      ? { by: status.paused.by, reason: short(status.paused.reason), since: status.paused.since }
      : null,
    frozen: !!status.frozen && !status.ignoresFreeze,
    blocked: status.blocked ? { reason: short(status.blocked.reason), since: status.blocked.since } : null,
    ...(status.held && Object.keys(status.held).length ? { held: Object.keys(status.held) } : {}),
    rejected: status.rejected.length,
    ...(waiting.length ? { waitingForApproval: waiting } : {}),
    ...(status.waves?.length ? { waves: status.waves.map(({ apps, label }) => ({ apps, label })) } : {}),
    observedAt: status.observedAt,
  };
}

/**
 * A pipeline's state in a few words, the most pressing first, for `conveyor list`: paused, frozen,
 * blocked, then what holds its releases (held by a gate, waiting for approval, failed), else moving,
 * soaking or in sync.
 */
export function rowState(fleet: FleetSummary): string {
  const marks = [
    fleet.paused && 'paused',
    ...(fleet.held ?? []).map((app) => `${app} held until resumed`),
    fleet.frozen && 'frozen',
    fleet.blocked && 'blocked',
  ].filter((m): m is string => typeof m === 'string');
  const approvals = (fleet.waitingForApproval ?? []).map((w) => `waiting for approval into ${w.stage}`);
  const cells = fleet.stages;
  const held = cells.filter(
    (c) => c.state === 'held' && !(c.gates ?? []).every((g) => g === 'allow' || g === 'approval'),
  );
  const states = [
    ...marks,
    ...approvals,
    ...held.map((c) => `held at ${c.app} by ${(c.gates ?? []).join(', ')}`),
    ...cells.filter((c) => c.state === 'failed' || c.state === 'rolled-back').map((c) => `${c.state} at ${c.app}`),
  ];
  if (states.length) return states.join('; ');
  if (cells.some((c) => ['ready', 'promoting', 'verifying'].includes(c.state))) return 'moving';
  if (cells.some((c) => c.state === 'soaking')) return 'soaking';
  if (cells.some((c) => c.state === 'waiting')) return 'waiting';
  return 'in sync';
}

/** "2026-12-01 10:30:00 UTC": absolute, so a summary read later is still right. */
const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
/** Markdown text with the characters that would start markup escaped. */
const md = (text: string) => text.replace(/([\\`*_[\]<>|#])/g, '\\$1');

function describeCell(cell: FleetCell): string {
  const behind = cell.behind ? `behind ${md(cell.behind.stage)} (v${cell.behind.version ?? '?'})` : '';
  const pair = describePair(cell);
  return (
    [behind, pair && (cell.next ? `→ ${md(cell.next)}: ${pair}` : pair)].filter(Boolean).join('; ') || 'up to date'
  );
}

/** The state a cell carries: the pair leaving it (cell.next) or the stage's own; '' for the last stage at rest. */
function describePair(cell: FleetCell): string {
  switch (cell.state) {
    case 'in-sync':
      return cell.next ? 'in sync' : '';
    case 'soaking':
      return cell.until ? `soaking until ${when(cell.until)}` : 'soaking';
    case 'held':
      return `held by ${(cell.gates ?? []).join(', ') || 'a gate'}${cell.until ? ` (looked at again ${when(cell.until)})` : ''}${cell.reason ? ` — ${md(cell.reason)}` : ''}`;
    case 'waiting':
      return `waiting${cell.reason ? ` — ${md(cell.reason)}` : ''}`;
    case 'ready':
      return `moving on${cell.reason ? ` — ${md(cell.reason)}` : ''}`;
    case 'promoting':
    case 'verifying': {
      const incoming = cell.incoming
        ? ` v${cell.incoming.version} \`${shortSha(cell.incoming.commit)}\` since ${when(cell.incoming.since)}${cell.incoming.by ? ` by ${md(cell.incoming.by)}` : ''}`
        : '';
      return `${cell.state}${incoming}`;
    }
    case 'failed':
    case 'rolled-back':
      return `${cell.state === 'failed' ? 'failed' : 'rolled back'}${cell.reason ? ` — ${md(cell.reason)}` : ''}`;
  }
}

/**
 * A short markdown summary of stages and holds, for Temporal's current details (the workflow page
 * of the Web UI): the row's marks first, then one line per stage.
 */
export function currentDetails(status: PipelineStatus): string {
  const fleet = fleetSummary(status);
  const marks = [
    fleet.paused &&
      `**Paused** by ${md(fleet.paused.by)} since ${when(fleet.paused.since)}: ${md(fleet.paused.reason)}`,
    fleet.frozen &&
      status.frozen &&
      `**Frozen** by ${md(status.frozen.by)} since ${when(status.frozen.since)}: ${md(status.frozen.reason)}`,
    fleet.blocked && `**Blocked** since ${when(fleet.blocked.since)}: ${md(fleet.blocked.reason)}`,
    fleet.rejected > 0 && `${fleet.rejected} rejected release${fleet.rejected === 1 ? '' : 's'}`,
    ...(fleet.waitingForApproval ?? []).map(
      (w) => `**Waiting for approval** into ${md(w.stage)} since ${when(w.since)}: \`${shortSha(w.commit)}\``,
    ),
  ].filter((m): m is string => typeof m === 'string');
  const lines = fleet.stages.map((cell) => {
    const release = cell.version === null ? 'no release' : `v${cell.version} \`${shortSha(cell.commit)}\``;
    const wave = fleet.waves?.find((w) => w.apps.length > 1 && w.apps[0] === cell.app);
    const heading = wave ? `- _wave ${wave.apps.map(md).join(', ')}: ${wave.label}_\n` : '';
    return `${heading}- **${md(cell.app)}** ${release} — ${describeCell(cell)}`;
  });
  const observed = fleet.observedAt ? `_observed ${when(fleet.observedAt)}_` : '_not observed yet_';
  const config = status.config
    ? `_config ${status.config.digest} in force ${status.config.appliedAt ? `since ${when(status.config.appliedAt)} (applied after the start: the input above is older)` : 'since the pipeline started (its input)'}_`
    : '';
  return [
    `### ${md(fleet.service)}`,
    ...marks.map((m) => `> ${m}`),
    ...(marks.length ? [''] : []),
    ...lines,
    '',
    observed,
    ...(config ? ['', config] : []),
  ].join('\n');
}
