// Server-rendered HTML (hono/html escapes every interpolated value). The small client script
// (public/app.js) swaps in fragments these functions render when the server sends an event.
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { CellState, FleetCell, FleetSummary } from '../domain/fleet';
import type { Freeze } from '../domain/freeze';
import { shortSha } from '../domain/observation';
import { WAITING_GATES } from '../domain/override';
import { moment } from '../domain/moment';
import type { Service } from '../domain/service';
import type { Verdict } from '../domain/verdict';
import type { ApprovalState } from '../domain/approval';
import type { PairStatus, PipelineStatus, PromotionRecord, StageStatus } from '../domain/status';
import type { Session } from './access';
import type { AuditEntry } from '../domain/audit';
import type { GoingOut } from './github';
import type { FleetRow } from './source';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface Links {
  /** The Temporal Web UI, e.g. http://127.0.0.1:8233; undefined when unknown. */
  temporalUi?: string;
  namespace: string;
  /** Where commit links go, e.g. https://github.com. */
  githubWeb: string;
  /** Where app links go, e.g. https://dashboard.heroku.com/apps. */
  herokuApps: string;
}

// ---- small pieces ----------------------------------------------------------------------------

/** "4m", "2h10m", "3d": a span for a person. */
export function span(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3_600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400)
    return `${Math.floor(s / 3_600)}h${Math.floor((s % 3_600) / 60) ? `${Math.floor((s % 3_600) / 60)}m` : ''}`;
  return `${Math.floor(s / 86_400)}d`;
}
const utc = (iso: string) => `${iso.slice(11, 19)} UTC`;
const fullUtc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

/**
 * A moment in the one format of the CLI (domain/moment.ts): rendered in UTC with how far from now,
 * then shown by the page's script in the viewer's own zone ("2026-12-06 10:26:03 CET (3m ago)").
 */
const at = (iso: string, now: number) => html`<time datetime="${iso}" data-moment>${moment(iso, now, 'utc')}</time>`;

const ISO_IN_TEXT = /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\b/g;
/** A reason with its moments shown as `at` shows them (the window's own opening is left to its recheck time). */
function readable(text: string, now: number, withoutWindowOpening = false): Html {
  const plain = withoutWindowOpening ? text.replace(/; opens [A-Z][a-z]{2} \d{4}-\d\d-\d\d \d\d:\d\d \S+$/, '') : text;
  const parts: (string | Html)[] = [];
  let last = 0;
  for (const match of plain.matchAll(ISO_IN_TEXT)) {
    parts.push(plain.slice(last, match.index));
    parts.push(at(new Date(match[0]).toISOString(), now));
    last = match.index + match[0].length;
  }
  parts.push(plain.slice(last));
  return html`${parts}`;
}

/** A relative time the client script keeps current: `ago` counts up, `left` counts down. */
const ago = (iso: string | null, now: number) =>
  iso ? html`<time datetime="${iso}" data-ago title="${fullUtc(iso)}">${span(now - Date.parse(iso))}</time>` : html`–`;
const left = (iso: string, now: number) =>
  html`<time datetime="${iso}" data-left title="${fullUtc(iso)}">${span(Date.parse(iso) - now)}</time>`;

const commitUrl = (links: Links, repo: string | undefined, sha: string) =>
  repo ? `${links.githubWeb}/${repo}/commit/${sha}` : undefined;
const shaLink = (links: Links, repo: string | undefined, sha: string | null) => {
  if (!sha) return html`<span class="sha">no commit</span>`;
  const url = commitUrl(links, repo, sha);
  return url
    ? html`<a class="sha" href="${url}" title="commit ${sha} on GitHub">${shortSha(sha)}</a>`
    : html`<span class="sha" title="${sha}">${shortSha(sha)}</span>`;
};
const workflowUrl = (links: Links, service: string) =>
  links.temporalUi
    ? `${links.temporalUi}/namespaces/${encodeURIComponent(links.namespace)}/workflows/${encodeURIComponent(`conveyor/${service}`)}`
    : undefined;

const STATE_LABEL: Record<CellState, string> = {
  'in-sync': 'in sync',
  soaking: 'soaking',
  held: 'held',
  waiting: 'waiting',
  ready: 'moving on',
  promoting: 'promoting',
  verifying: 'verifying',
  failed: 'failed',
  'rolled-back': 'rolled back',
};

/** The states that describe the release leaving a stage (the pair's), not the stage's own. */
const LEAVING = new Set<CellState>(['in-sync', 'soaking', 'held', 'waiting', 'ready']);

/**
 * A cell's badge: the stage's own state (promoting, verifying, failed, rolled back), or the pair's,
 * marked "→ next:" so it cannot be read as the stage's own; none on the last stage at rest.
 */
function badge(cell: FleetCell, now: number): Html {
  // A held cell with no next stage is an app held alone: its own state, shown as such.
  if (LEAVING.has(cell.state) && !cell.next) return cell.state === 'held' ? ownBadge(cell, now) : html``;
  const inner = ownBadge(cell, now);
  return LEAVING.has(cell.state)
    ? html`<span class="pair-badge" title="the release leaving for ${cell.next}"><span class="to">→ ${shortApp(cell.next!)}</span> ${inner}</span>`
    : inner;
}

/** "eu01" of "api-eu01": the column names the service already. */
const shortApp = (app: string) => app.replace(/^.*-(?=[^-]+$)/, '');

function ownBadge(cell: FleetCell, now: number): Html {
  switch (cell.state) {
    case 'soaking':
      return html`<span class="badge soaking">soaking${cell.until ? html` · ${left(cell.until, now)} left` : ''}</span>`;
    case 'held':
      return html`<span class="badge held">held by ${(cell.gates ?? []).join(', ') || 'a gate'}</span>`;
    case 'promoting':
    case 'verifying':
      return html`<span class="badge ${cell.state}">${cell.state}${cell.incoming ? ` v${cell.incoming.version} ${shortSha(cell.incoming.commit)}` : ''}</span>`;
    default:
      return html`<span class="badge ${cell.state}">${STATE_LABEL[cell.state]}</span>`;
  }
}

function rowMarks(
  fleet: Pick<FleetSummary, 'paused' | 'frozen' | 'blocked' | 'waitingForApproval'> | null,
  paused: boolean,
): Html {
  return html`${(fleet?.waitingForApproval ?? []).map(
    (w) =>
      html`<span class="mark approval" title="${`${shortSha(w.commit)} waits for approval into ${w.stage} since ${fullUtc(w.since)}`}">approval into ${shortApp(w.stage)}</span>`,
  )}${fleet?.paused || paused ? html`<span class="mark paused" title="${fleet?.paused ? `${fleet.paused.by}: ${fleet.paused.reason}` : 'paused'}">paused${fleet?.paused ? ` by ${fleet.paused.by}` : ''}</span>` : ''}${
    fleet?.frozen ? html`<span class="mark frozen">frozen</span>` : ''
  }${fleet?.blocked ? html`<span class="mark blocked" title="${fleet.blocked.reason}">blocked</span>` : ''}`;
}

// ---- the page frame --------------------------------------------------------------------------

export interface Frame {
  title: string;
  session: Session | undefined;
  actionsEnabled: boolean;
  /** The path to come back to after signing in. */
  here: string;
}

function header(frame: Frame): Html {
  const who = frame.session
    ? html`<form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${frame.session.csrf}"><span class="who">signed in as <strong>${frame.session.name}</strong></span> <button type="submit" class="link">sign out</button></form>`
    : frame.actionsEnabled
      ? html`<a href="/login?next=${encodeURIComponent(frame.here)}">sign in to act</a>`
      : html`<span class="who">read-only (no CONVEYOR_DASHBOARD_TOKEN)</span>`;
  return html`<header class="top"><a class="brand" href="/">conveyor</a><nav aria-label="account">${who}</nav></header>`;
}

function flash(session: Session | undefined): Html {
  const message = session?.flash;
  if (!session || !message) return html``;
  session.flash = undefined;
  return html`<p class="flash ${message.kind}" role="${message.kind === 'error' ? 'alert' : 'status'}">${message.text}</p>`;
}

export function page(frame: Frame, body: Html, script = true): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · conveyor</title>
<link rel="stylesheet" href="/static/app.css">
${script ? html`<script src="/static/app.js" defer></script>` : ''}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${header(frame)}
<main id="main">
${flash(frame.session)}
${body}
</main>
</body>
</html>`;
}

// ---- fleet view ------------------------------------------------------------------------------

/** The columns of a row: one per stage, the apps of a wave together in one. */
export function columnsOf(fleet: FleetSummary): FleetCell[][] {
  if (!fleet.waves?.length) return fleet.stages.map((cell) => [cell]);
  return fleet.waves.map((wave) => fleet.stages.filter((cell) => wave.apps.includes(cell.app)));
}

/** Column names: stages are aligned by position; a column is named when every app in it shares a suffix. */
export function columnNames(rows: FleetRow[]): string[] {
  const columns = rows.map((r) => (r.fleet ? columnsOf(r.fleet) : []));
  const width = Math.max(0, ...columns.map((c) => c.length));
  return Array.from({ length: width }, (_, i) => {
    const names = new Set(
      rows.flatMap((r, j) =>
        columns[j][i] ? [columns[j][i].map((cell) => cell.app.replace(`${r.service}-`, '')).join(' + ')] : [],
      ),
    );
    return names.size === 1 ? [...names][0] : `stage ${i + 1}`;
  });
}

/** A wave's apps in one column: how far its release has soaked ("2 of 3 soaked"), then each app. */
function waveView(cells: FleetCell[], label: string, repo: string | undefined, links: Links, now: number): Html {
  return html`<td class="cell wave" data-state="${cells.map((c) => c.state).join(' ')}">
<div class="wave-state">wave of ${cells.length}: ${label}</div>
<table class="wave-apps"><tr>${cells.map((cell) => cellView(cell, repo, links, now))}</tr></table>
</td>`;
}

function cellView(cell: FleetCell, repo: string | undefined, links: Links, now: number): Html {
  const reason = cell.reason && cell.state !== 'in-sync' && cell.state !== 'soaking' ? cell.reason : undefined;
  return html`<td class="cell s-${cell.state}" data-state="${cell.state}">
<div class="app">${cell.app}</div>
<div class="rel">${shaLink(links, repo, cell.commit)} <span class="ver">${cell.version === null ? 'no release' : `v${cell.version}`}</span> <span class="age" title="on this stage">${ago(cell.since, now)}</span></div>
${cell.behind ? html`<div class="behind" title="${`${cell.behind.stage} runs v${cell.behind.version ?? '?'}: it has not come here yet`}">behind ${shortApp(cell.behind.stage)} (v${cell.behind.version ?? '?'})</div>` : ''}
<div>${badge(cell, now)}</div>
${reason ? html`<details class="why"><summary>${readable(reason, now)}</summary><p>${readable(reason, now)}</p></details>` : ''}
</td>`;
}

/** States and marks of a row, for the filter. */
export function rowFacets(row: FleetRow): string[] {
  const facets = new Set<string>(row.fleet?.stages.map((c) => c.state) ?? []);
  if (row.paused || row.fleet?.paused) facets.add('paused');
  if (row.fleet?.frozen) facets.add('frozen');
  if (row.fleet?.blocked) facets.add('blocked');
  if (facets.has('promoting') || facets.has('verifying')) facets.add('moving');
  if (row.fleet?.waitingForApproval?.length) facets.add('approval');
  return [...facets];
}

export function fleetRow(row: FleetRow, width: number, links: Links, now: number): Html {
  const fleet = row.fleet;
  const columns = fleet ? columnsOf(fleet) : [];
  const column = (cells: FleetCell[] | undefined, i: number) => {
    if (!cells) return html`<td class="cell empty"></td>`;
    const wave = fleet?.waves?.[i];
    return wave && wave.apps.length > 1
      ? waveView(cells, wave.label, fleet?.repo, links, now)
      : cellView(cells[0], fleet?.repo, links, now);
  };
  const cells = fleet
    ? Array.from({ length: width }, (_, i) => column(columns[i], i))
    : [
        html`<td class="cell" colspan="${Math.max(1, width)}">newest change at <strong>${row.stage ?? 'unknown'}</strong> <span class="why">(this workflow keeps no fleet summary yet)</span></td>`,
      ];
  return html`<tr id="row-${row.service}" data-service="${row.service}" data-facets="${rowFacets(row).join(' ')}">
<th scope="row" class="svc"><a href="/services/${encodeURIComponent(row.service)}">${row.service}</a><div class="marks">${rowMarks(fleet, row.paused)}${
    fleet?.generation && fleet.generation !== 'cedar'
      ? html`<span class="mark generation" title="Heroku generation">${fleet.generation}</span>`
      : ''
  }</div></th>
${cells}
</tr>`;
}

export function freezeBanner(freeze: Freeze | null, frame: Frame): Html {
  if (!freeze) return html`<div id="freeze"></div>`;
  return html`<div id="freeze" class="banner" role="status"><strong>Frozen</strong> by ${freeze.by} since ${fullUtc(freeze.since)}: ${freeze.reason}. Promotions hold everywhere (services that ignore freezes excepted).${
    frame.session
      ? html` <form method="post" action="/actions/unfreeze" class="inline"><input type="hidden" name="_csrf" value="${frame.session.csrf}"><button type="submit">Unfreeze</button></form>`
      : ''
  }</div>`;
}

export function fleetCounts(rows: FleetRow[]): string {
  const count = (facet: string) => rows.filter((r) => rowFacets(r).includes(facet)).length;
  return `${rows.length} service${rows.length === 1 ? '' : 's'} · ${count('moving')} promoting · ${count('held')} held · ${count('approval')} waiting for approval · ${count('soaking')} soaking · ${count('paused')} paused · ${count('blocked')} blocked`;
}

export function fleetTable(rows: FleetRow[], links: Links, now: number): Html {
  const columns = columnNames(rows);
  return html`<table class="fleet" id="fleet" data-width="${columns.length}">
<colgroup><col class="svc-col">${columns.map(() => html`<col>`)}</colgroup>
<caption class="sr">Every service a row, every stage a column: the commit each stage runs and why it waits</caption>
<thead><tr><th scope="col">service</th>${columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
<tbody>${rows.map((row) => fleetRow(row, columns.length, links, now))}</tbody>
</table>
${rows.length === 0 ? html`<p class="empty-note">No running pipelines. <code>conveyor apply -f services.json</code> starts them.</p>` : ''}`;
}

export function fleetPage(
  frame: Frame,
  rows: FleetRow[],
  freeze: Freeze | null,
  links: Links,
  now: number,
  version = 0,
): Html {
  const freezeForm =
    frame.session && !freeze
      ? html`<details class="freeze-form"><summary>Freeze every pipeline…</summary><form method="post" action="/actions/freeze"><input type="hidden" name="_csrf" value="${frame.session.csrf}"><label for="freeze-reason">Reason</label> <input id="freeze-reason" name="reason" required maxlength="500"> <button type="submit">Freeze</button></form></details>`
      : '';
  return page(
    frame,
    html`<div data-live="/events/fleet?since=${version}">
<div class="titlebar"><h1>Fleet</h1><p id="counts" class="counts" aria-live="polite">${fleetCounts(rows)}</p></div>
${freezeBanner(freeze, frame)}
<div class="toolbar" role="search">
<label for="search">Search services</label> <input id="search" type="search" placeholder="name…" autocomplete="off">
<label for="filter">Show</label> <select id="filter">
<option value="">all</option><option value="moving">promoting</option><option value="held">held by a gate</option><option value="soaking">soaking</option>
<option value="approval">waiting for approval</option><option value="paused">paused</option><option value="frozen">frozen</option><option value="blocked">blocked</option><option value="failed">failed</option><option value="rolled-back">rolled back</option>
</select>
<span id="shown" class="shown" aria-live="polite"></span>
${freezeForm}
</div>
<div class="scroll" tabindex="0" aria-label="the fleet table; scrolls sideways when it is wider than the page">${fleetTable(rows, links, now)}</div>
<p class="scroll-hint" aria-hidden="true">more stages to the right: scroll sideways →</p>
<p class="foot">Live: updates by themselves. Read with one visibility call, <span id="updated">${utc(new Date(now).toISOString())}</span>.</p>
</div>`,
  );
}

// ---- service view ----------------------------------------------------------------------------

export interface ServiceFacts {
  status: PipelineStatus;
  service: Service | null;
  /** Per target stage: what a promotion into it would ship. */
  goingOut: Record<string, GoingOut>;
  /** Recent changes: per commit, minutes from merge to each stage. */
  leadTimes: LeadTime[];
}

export interface LeadTime {
  commit: string;
  mergedAt: string;
  /** Per stage index, when the commit arrived there (ISO), when known. */
  arrivals: (string | null)[];
}

function verdictItem(v: Verdict, now: number): Html {
  return html`<li class="${v.ok ? 'ok' : 'no'}"><span class="mark-v" aria-hidden="true">${v.ok ? '✓' : '✗'}</span><span class="sr">${v.ok ? 'passes:' : 'holds:'}</span> <strong>${v.gate}</strong> ${readable(v.reason, now, !!v.recheckAt)}${
    v.recheckAt ? html` <span class="recheck">looked at again ${at(v.recheckAt, now)}</span>` : ''
  }</li>`;
}

/** The gates that hold first, in full; those that pass folded away. */
function verdictList(pair: PairStatus, now: number): Html {
  if (pair.verdicts.length === 0) return html`<p class="pair-reason">${readable(pair.reason, now)}</p>`;
  const holding = pair.verdicts.filter((v) => !v.ok);
  const passing = pair.verdicts.filter((v) => v.ok);
  return html`${holding.length ? html`<ul class="verdicts">${holding.map((v) => verdictItem(v, now))}</ul>` : ''}${
    pair.state !== 'gated' ? html`<p class="pair-reason">${readable(pair.reason, now)}</p>` : ''
  }${
    pair.notChecked?.length
      ? html`<ul class="verdicts">${pair.notChecked.map((n) => html`<li class="unchecked"><span class="mark-v" aria-hidden="true">?</span> <strong>${n.gate}</strong> not checked yet (held first by ${n.heldFirstBy})</li>`)}</ul>`
      : ''
  }${passing.length ? html`<details class="passing"><summary>${passing.length} gate${passing.length === 1 ? '' : 's'} pass${passing.length === 1 ? 'es' : ''}</summary><ul class="verdicts">${passing.map((v) => verdictItem(v, now))}</ul></details>` : ''}`;
}

const PAIR_LABEL: Record<PairStatus['state'], string> = {
  'in-sync': 'in sync',
  waiting: 'waiting',
  promoting: 'promoting',
  held: 'held',
  ready: 'ready',
  gated: 'held by gates',
};

function pipelineDrawing(facts: ServiceFacts, cells: FleetCell[], links: Links, now: number): Html {
  const { status } = facts;
  const repo = facts.service?.repo;
  const stageItem = (stage: StageStatus) => {
    const cell = cells[status.stages.indexOf(stage)];
    return html`<li class="stage s-${cell.state}">
<h3><a href="${links.herokuApps}/${encodeURIComponent(stage.stage)}" title="${stage.stage} in Heroku">${stage.stage}</a></h3>
<div class="rel">${shaLink(links, repo, stage.commit)} <span class="ver">${stage.version === null ? 'no release' : `v${stage.version}`}</span></div>
<div class="age">on this stage ${ago(stage.releasedAt, now)}</div>
${stage.behind ? html`<div class="behind">behind ${stage.behind.stage} (v${stage.behind.version ?? '?'})</div>` : ''}
${LEAVING.has(cell.state) ? '' : html`<div>${ownBadge(cell, now)}</div>`}
${stage.latest ? html`<div class="why">newest v${stage.latest.version} ${stage.latest.status}</div>` : ''}
</li>`;
  };
  const pairState = (pair: PairStatus, into: boolean) => {
    const held = pair.state === 'gated' ? pair.verdicts.filter((v) => !v.ok).map((v) => v.gate) : [];
    return html`<div class="pair-state">${into ? html`<span class="into">${pair.to}:</span> ` : ''}${PAIR_LABEL[pair.state]}${held.length ? html`: <strong class="holding">${held.join(', ')}</strong>` : ''}</div>
${verdictList(pair, now)}`;
  };
  // A wave of several apps is one step of the drawing: the pairs into each of its apps, then its apps together.
  const waves = status.waves?.length ? status.waves : status.stages.map((s) => ({ apps: [s.stage], label: '' }));
  const parts: Html[] = [];
  for (const wave of waves) {
    const pairs = status.pairs.filter((p) => wave.apps.includes(p.to));
    if (pairs.length === 1)
      parts.push(html`<li class="pair p-${pairs[0].state}" aria-label="${pairs[0].from} to ${pairs[0].to}">
<div class="arrow" aria-hidden="true">→</div>
${pairState(pairs[0], false)}
</li>`);
    else if (pairs.length > 1)
      parts.push(html`<li class="pair wave-pairs" aria-label="${pairs[0].from} to the wave ${wave.apps.join(', ')}">
<div class="arrow" aria-hidden="true">→</div>
${pairs.map((pair) => html`<div class="wave-pair p-${pair.state}">${pairState(pair, true)}</div>`)}
</li>`);
    const stages = wave.apps.flatMap((app) => status.stages.filter((s) => s.stage === app));
    if (stages.length === 1) parts.push(stageItem(stages[0]));
    else if (stages.length > 1)
      parts.push(html`<li class="wave" aria-label="wave of ${stages.length}: ${wave.apps.join(', ')}">
<div class="wave-state">wave of ${stages.length}: ${wave.label}</div>
<ol class="wave-apps">${stages.map(stageItem)}</ol>
</li>`);
  }
  return html`<ol class="pipeline" aria-label="pipeline, first stage first">${parts}</ol>`;
}

function goingOutView(facts: ServiceFacts, _links: Links): Html {
  const { status } = facts;
  const sections = status.pairs.flatMap((pair) => {
    const out = facts.goingOut[pair.to];
    if (!out) return [];
    const title = html`<h3>${pair.from} → ${pair.to}</h3>`;
    if (!out.ok) return [html`<section class="out">${title}<p class="why">${out.problem}</p></section>`];
    if (out.status === 'behind' || out.status === 'identical')
      return [
        html`<section class="out">${title}<p class="why">${out.status === 'behind' ? `${pair.to} runs a newer commit (a hotfix?): nothing goes out` : 'nothing to ship'}</p></section>`,
      ];
    return [
      html`<section class="out">${title}<p class="why">${out.aheadBy} commit${out.aheadBy === 1 ? '' : 's'}${out.status === 'diverged' ? ' (the stages diverged)' : ''}</p>
<ol class="commits">${[...out.commits]
        .reverse()
        .map(
          (c) =>
            html`<li>${c.url ? html`<a class="sha" href="${c.url}">${shortSha(c.sha)}</a>` : html`<span class="sha">${shortSha(c.sha)}</span>`} ${c.title}${c.author ? html` <span class="by">— ${c.author}</span>` : ''}</li>`,
        )}</ol></section>`,
    ];
  });
  if (!facts.service) return html`<p class="why">The repository is not known yet.</p>`;
  return sections.length
    ? html`${sections}`
    : html`<p class="why">Every stage runs the same commit: nothing is going out.</p>`;
}

function outcomeText(p: PromotionRecord): string {
  switch (p.outcome) {
    case 'in-flight':
      // decided: its POST may still be withdrawn; posted: Heroku is promoting.
      return p.phase === 'decided'
        ? 'in flight: decided, not posted yet'
        : p.phase === 'posted'
          ? 'in flight: posted to Heroku'
          : 'in flight';
    case 'verifying':
      return `verifying: baking${p.targetVersion ? ` v${p.targetVersion}` : ''} under health checks`;
    case 'withdrawn':
    case 'superseded':
      return `${p.outcome}, nothing posted${p.error ? `: ${p.error}` : ''}`;
    case 'not-posted':
      return `not posted${p.error ? `: ${p.error}` : ''}`;
    case 'rolled-back':
      return `rolled back (${p.verification?.problem ?? ''})`;
    case 'verification-failed':
      return `verification failed (${p.verification?.problem ?? ''})`;
    case 'failed':
      return `failed${p.error ? `: ${p.error}` : ''}`;
    case 'succeeded':
      return `succeeded${p.targetVersion ? ` as v${p.targetVersion}` : ''}`;
    default:
      return p.outcome;
  }
}

function promotionsTable(
  records: PromotionRecord[],
  repo: string | undefined,
  links: Links,
  now: number,
  caption: string,
): Html {
  return html`<table class="list"><caption class="sr">${caption}</caption>
<thead><tr><th scope="col">started</th><th scope="col">from → to</th><th scope="col">release</th><th scope="col">outcome</th><th scope="col">who, why</th></tr></thead>
<tbody>${records.map(
    (p) =>
      html`<tr class="o-${p.outcome}"><td>${ago(p.startedAt, now)} ago</td><td>${p.from} → ${p.to}</td><td>v${p.sourceVersion} ${shaLink(links, repo, p.commit)}</td><td>${outcomeText(p)}</td><td>${
        p.manual
          ? html`by hand: <strong>${p.manual.by}</strong> “${p.manual.reason}”${p.manual.skippedGates.length ? html` <span class="skipped">skipped ${p.manual.skippedGates.join(', ')}</span>` : ''}`
          : 'conveyor (every gate passed)'
      }</td></tr>`,
  )}</tbody></table>`;
}

/** Minutes from merge to each stage, one bar per recent change, a dot where it reached each stage. */
function leadTimeChart(facts: ServiceFacts): Html {
  const { leadTimes, status } = facts;
  if (leadTimes.length === 0) return html`<p class="why">No change has moved past the first stage yet.</p>`;
  const maxMs = Math.max(
    60_000,
    ...leadTimes.flatMap((l) =>
      l.arrivals.filter((a): a is string => !!a).map((a) => Date.parse(a) - Date.parse(l.mergedAt)),
    ),
  );
  const width = 560;
  const rowH = 26;
  const left = 80;
  const x = (ms: number) => left + Math.round((Math.max(0, ms) / maxMs) * (width - left - 20));
  const height = leadTimes.length * rowH + 24;
  const stages = status.stages.map((s) => s.stage);
  const label = leadTimes
    .map(
      (l) =>
        `${shortSha(l.commit)}: ${l.arrivals
          .map((a, i) => (a ? `${stages[i]} ${span(Date.parse(a) - Date.parse(l.mergedAt))}` : null))
          .filter(Boolean)
          .join(', ')}`,
    )
    .join('; ');
  return html`<figure class="chart"><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${`Time from merge to each stage: ${label}`}">
${leadTimes.map((l, row) => {
  const y = row * rowH + 14;
  const points = l.arrivals
    .map((a, i) => (a ? { i, at: Date.parse(a) - Date.parse(l.mergedAt) } : null))
    .filter((p): p is { i: number; at: number } => p !== null);
  const last = points.at(-1)?.at ?? 0;
  return html`<text x="0" y="${y + 4}" class="t">${shortSha(l.commit)}</text><line x1="${left}" x2="${x(last)}" y1="${y}" y2="${y}" class="bar"/>${points.map(
    (p) =>
      html`<circle cx="${x(p.at)}" cy="${y}" r="5" class="dot d${p.i % 6}"><title>${stages[p.i]}: ${span(p.at)} after merge</title></circle>`,
  )}`;
})}
<text x="${left}" y="${height - 4}" class="t">merge</text><text x="${width - 20}" y="${height - 4}" class="t" text-anchor="end">${span(maxMs)}</text>
</svg>
<figcaption>${stages.map((s, i) => html`<span class="key"><span class="dot-key d${i % 6}" aria-hidden="true"></span>${s}</span>`)}</figcaption></figure>`;
}

/** The part of the service view that updates by itself. */
export function serviceLive(
  facts: ServiceFacts,
  cells: FleetCell[],
  freeze: Freeze | null,
  frame: Frame,
  links: Links,
  now: number,
): Html {
  const { status } = facts;
  const repo = facts.service?.repo;
  const notes: Html[] = [];
  if (status.paused)
    notes.push(
      html`<p class="banner paused" role="status"><strong>Paused</strong> by ${status.paused.by} since ${at(status.paused.since, now)}: ${status.paused.reason}</p>`,
    );
  for (const [app, hold] of Object.entries(status.held ?? {}))
    notes.push(
      html`<p class="banner paused" role="status"><strong>${app} held</strong> by ${hold.by} since ${at(hold.since, now)}: ${hold.reason}</p>`,
    );
  if (status.frozen && !status.ignoresFreeze)
    notes.push(
      html`<p class="banner frozen"><strong>Frozen</strong> by ${status.frozen.by} since ${at(status.frozen.since, now)}: ${status.frozen.reason}</p>`,
    );
  if (status.blocked)
    notes.push(
      html`<p class="banner blocked"><strong>Blocked</strong> since ${at(status.blocked.since, now)}: ${status.blocked.reason}</p>`,
    );
  for (const d of approvalStatesOf(status))
    notes.push(
      d.state === 'waiting'
        ? html`<p class="banner approval" data-approval="waiting"><strong>Waiting for approval</strong> into ${d.stage} since ${at(d.since, now)}: ${shaLink(links, repo, d.commit)}</p>`
        : d.state === 'approved'
          ? html`<p class="banner approved" data-approval="approved"><strong>Approved</strong> ${shaLink(links, repo, d.commit)} into ${d.stage} by ${d.by} ${at(d.since, now)}${d.note ? `: ${d.note}` : ''}</p>`
          : html``,
    );
  void freeze;
  return html`<div id="live">
${notes}
<section aria-labelledby="h-pipeline"><h2 id="h-pipeline">Pipeline</h2>${pipelineDrawing(facts, cells, links, now)}
<p class="foot">observed ${status.observedAt ? at(status.observedAt, now) : '–'} · next check ${status.nextCheckAt ? html`in ${left(status.nextCheckAt, now)}` : '–'}${
    status.config
      ? html` · config ${status.config.digest} in force ${status.config.appliedAt ? html`since ${at(status.config.appliedAt, now)}` : 'since the pipeline started'}`
      : ''
  }</p></section>
<div class="two">
<section aria-labelledby="h-out"><h2 id="h-out">What is going out</h2>${goingOutView(facts, links)}</section>
<section aria-labelledby="h-lead"><h2 id="h-lead">Time from merge to each stage</h2>${leadTimeChart(facts)}</section>
</div>
<section aria-labelledby="h-flight"><h2 id="h-flight">Promotions in flight</h2>${
    status.inFlight.length
      ? promotionsTable(status.inFlight, repo, links, now, 'promotions in flight')
      : html`<p class="why">None.</p>`
  }</section>
<section aria-labelledby="h-history"><h2 id="h-history">History</h2>${
    status.history.length
      ? promotionsTable(status.history, repo, links, now, 'recent promotions, newest first')
      : html`<p class="why">No promotion yet.</p>`
  }</section>
${
  status.rejected.length
    ? html`<section aria-labelledby="h-rejected"><h2 id="h-rejected">Rejected releases</h2><ul>${status.rejected.map(
        (r) =>
          html`<li>${shaLink(links, repo, r.commit)} by ${r.by} at ${at(r.at, now)}: ${r.reason}${
            frame.session
              ? html` <form method="post" action="/actions/unreject" class="inline"><input type="hidden" name="_csrf" value="${frame.session.csrf}"><input type="hidden" name="service" value="${status.service}"><input type="hidden" name="commit" value="${r.commit}"><button type="submit">Unreject ${shortSha(r.commit)}</button></form>`
              : ''
          }</li>`,
      )}</ul></section>`
    : ''
}
</div>`;
}

/** One state per stage at its approval gate (domain/approval.ts); an older worker's two lists otherwise. */
function approvalStatesOf(status: PipelineStatus): ApprovalState[] {
  return (
    status.approvalStates ?? [
      ...status.waitingForApproval.map((w) => ({ ...w, state: 'waiting' as const })),
      ...status.approvals.map((a) => ({
        stage: a.stage,
        commit: a.commit,
        state: 'approved' as const,
        since: a.at,
        by: a.by,
      })),
    ]
  );
}

/**
 * Pause or Resume, whichever the pipeline's state calls for. A fragment of its own: the page swaps
 * it when the state changes (app.js), keeping what was typed while it does not.
 */
export function pauseControl(status: PipelineStatus, frame: Frame): Html {
  const session = frame.session;
  if (!session) return html``;
  const csrf = html`<input type="hidden" name="_csrf" value="${session.csrf}"><input type="hidden" name="service" value="${status.service}">`;
  const held = Object.keys(status.held ?? {});
  return html`<div id="pause-control" data-key="${status.paused ? 'paused' : 'running'}${held.map((app) => ` ${app}`).join('')}">${
    status.paused
      ? html`<form method="post" action="/actions/resume">${csrf}<button type="submit">Resume ${status.service}</button></form>`
      : html`<form method="post" action="/actions/pause">${csrf}<label for="pause-reason">Reason to pause</label><input id="pause-reason" name="reason" required maxlength="500"><button type="submit">Pause ${status.service}</button></form>`
  }${held.map(
    (app) =>
      html`<form method="post" action="/actions/resume">${csrf}<input type="hidden" name="stage" value="${app}"><button type="submit">Resume ${app}</button></form>`,
  )}</div>`;
}

/** An Approve form per commit waiting for approval; swapped when the waiting set changes. */
export function approveForms(status: PipelineStatus, frame: Frame): Html {
  const session = frame.session;
  if (!session) return html``;
  const csrf = html`<input type="hidden" name="_csrf" value="${session.csrf}"><input type="hidden" name="service" value="${status.service}">`;
  const waiting = approvalStatesOf(status).filter((d) => d.state === 'waiting');
  return html`<div id="approve-forms" data-key="${waiting.map((w) => `${w.stage}@${w.commit}`).join(' ')}">${waiting.map(
    (w) =>
      html`<form method="post" action="/actions/approve">${csrf}<input type="hidden" name="stage" value="${w.stage}"><input type="hidden" name="commit" value="${w.commit}"><label for="approve-${w.stage}">Comment (optional)</label><input id="approve-${w.stage}" name="comment" maxlength="500"><button type="submit">Approve ${shortSha(w.commit)} into ${w.stage}</button></form>`,
  )}</div>`;
}

function actionsPanel(status: PipelineStatus, frame: Frame): Html {
  const session = frame.session;
  if (!session) {
    return html`<p class="act-note">${
      frame.actionsEnabled
        ? html`<a href="/login?next=${encodeURIComponent(frame.here)}">Sign in</a> to pause, promote, approve or reject.`
        : 'Read-only: set CONVEYOR_DASHBOARD_TOKEN where the dashboard runs to allow actions.'
    }</p>`;
  }
  const csrf = html`<input type="hidden" name="_csrf" value="${session.csrf}"><input type="hidden" name="service" value="${status.service}">`;
  const targets = status.stages.slice(1).map((s) => s.stage);
  return html`<section aria-labelledby="h-act" class="actions"><h2 id="h-act">Actions <span class="who">as ${session.name}</span></h2>
<div class="forms">
${pauseControl(status, frame)}
<form method="get" action="/services/${encodeURIComponent(status.service)}/promote"><label for="promote-to">Promote by hand into</label><select id="promote-to" name="to">${targets.map((t) => html`<option>${t}</option>`)}</select><button type="submit">Review…</button></form>
${approveForms(status, frame)}
<form method="post" action="/actions/reject">${csrf}<label for="reject-commit">Reject commit</label><input id="reject-commit" name="commit" required pattern="[0-9a-fA-F]{7,40}" placeholder="sha" size="10"><label for="reject-reason">Reason</label><input id="reject-reason" name="reason" required maxlength="500"><button type="submit">Reject</button></form>
</div></section>`;
}

export function servicePage(
  facts: ServiceFacts,
  cells: FleetCell[],
  freeze: Freeze | null,
  frame: Frame,
  links: Links,
  now: number,
  version = 0,
): Html {
  const { status } = facts;
  const ui = workflowUrl(links, status.service);
  const repo = facts.service?.repo;
  return page(
    frame,
    html`<div data-live="/events/services/${encodeURIComponent(status.service)}?since=${version}">
<p class="crumb"><a href="/">← Fleet</a></p>
<div class="titlebar"><h1>${status.service}</h1><p class="meta">pipeline ${status.pipeline} · branch ${status.branch}${status.generation ? html` · generation ${status.generation}` : ''}${repo ? html` · <a href="${links.githubWeb}/${repo}">${repo}</a>` : ''}${
      ui ? html` · <a href="${ui}">workflow in the Temporal Web UI</a>` : ''
    } · <a href="/services/${encodeURIComponent(status.service)}/audit">audit</a></p></div>
${actionsPanel(status, frame)}
${serviceLive(facts, cells, freeze, frame, links, now)}
</div>`,
  );
}

/** The confirmation before a promotion by hand: which gates it would overrule, which would still hold. */
export function promoteConfirmPage(status: PipelineStatus, to: string, frame: Frame): Html {
  const pair = status.pairs.find((p) => p.to === to);
  const closed = pair?.verdicts.filter((v) => !v.ok) ?? [];
  const overruled = closed.filter((v) => WAITING_GATES.includes(v.gate));
  const safety = closed.filter((v) => !WAITING_GATES.includes(v.gate));
  const session = frame.session!;
  const source = status.stages.find((s) => s.stage === pair?.from);
  // Only a pair with a candidate (gated, ready) has something a promotion by hand would send.
  const nothing = !pair
    ? `${to} is not a target stage`
    : pair.state === 'in-sync'
      ? `${pair.from} and ${to} run the same release`
      : pair.state === 'promoting'
        ? `a promotion into ${to} is under way`
        : undefined;
  return page(
    frame,
    html`<p class="crumb"><a href="/services/${encodeURIComponent(status.service)}">← ${status.service}</a></p>
<h1>Promote into ${to}</h1>
${pair ? html`<p>${pair.from} runs v${source?.version ?? '?'} ${shortSha(source?.commit ?? null)}; the pair is <strong>${PAIR_LABEL[pair.state]}</strong>: ${pair.reason}.</p>` : html`<p>${to} is not a target stage of ${status.service}.</p>`}
<h2>Gates this would overrule</h2>
${overruled.length ? html`<ul class="verdicts">${overruled.map((v) => html`<li class="no"><strong>${v.gate}</strong> ${v.reason}</li>`)}</ul>` : html`<p>None: no waiting gate (allow, window, age) holds.</p>`}
<h2>Safety gates that still hold</h2>
${safety.length ? html`<ul class="verdicts">${safety.map((v) => html`<li class="no"><strong>${v.gate}</strong> ${v.reason}</li>`)}</ul><p>These hold unless you also skip every gate.</p>` : html`<p>None.</p>`}
<form method="post" action="/actions/promote" class="confirm">
<input type="hidden" name="_csrf" value="${session.csrf}"><input type="hidden" name="service" value="${status.service}"><input type="hidden" name="to" value="${to}">
<label for="promote-reason">Reason (recorded in the history)</label><input id="promote-reason" name="reason" required maxlength="500">
<label class="check"><input type="checkbox" name="skipGates" value="true"${nothing ? ' disabled' : ''}> skip every gate, safety gates included</label>
${nothing ? html`<p class="flash error" role="status">Nothing to promote: ${nothing}.</p>` : ''}
<button type="submit"${nothing ? ' disabled' : ''}>Promote into ${to} as ${session.name}</button>
</form>`,
    false,
  );
}

export interface LoginOptions {
  /** The name typed before, kept when the token was wrong. */
  name?: string;
  /** The identity provider's issuer: sign-in goes there and no name is typed. */
  provider?: string;
  /** The provider is Heroku's OAuth (id.heroku.com). */
  heroku?: boolean;
}

export function loginPage(frame: Frame, next: string, problem?: string, options: LoginOptions = {}): Html {
  if (options.provider && options.heroku)
    return page(
      frame,
      html`<h1>Sign in to act</h1>
<p>Anyone can look. To pause, promote, approve, reject or freeze, sign in with your Heroku account (<code>${options.provider}</code>, scope <code>identity</code>: conveyor reads only who you are). The account Heroku confirms is recorded with every action; what you may do is decided by the roles in the services file and, for <code>heroku:deployers</code>, by whether Heroku lets you deploy to the app, asked at the time of the action.</p>
${problem ? html`<p class="flash error" role="alert">${problem}</p>` : ''}
<p><a class="button" href="/auth/start?next=${encodeURIComponent(next)}">Sign in with Heroku</a></p>`,
      false,
    );
  if (options.provider)
    return page(
      frame,
      html`<h1>Sign in to act</h1>
<p>Anyone can look. To pause, promote, approve, reject or freeze, sign in through your identity provider (<code>${options.provider}</code>): the identity it confirms is recorded with every action, and the roles in the services file decide what you may do.</p>
${problem ? html`<p class="flash error" role="alert">${problem}</p>` : ''}
<p><a class="button" href="/auth/start?next=${encodeURIComponent(next)}">Sign in with your identity provider</a></p>`,
      false,
    );
  return page(
    frame,
    html`<h1>Sign in to act</h1>
<p>Anyone can look. To pause, promote, approve, reject or freeze, give the dashboard's token (<code>CONVEYOR_DASHBOARD_TOKEN</code>) and your name: it is recorded with every action, marked <strong>unverified</strong>, because the token says nothing about who you are. Stages whose approvers name people cannot be approved this way.</p>
${problem ? html`<p class="flash error" role="alert">${problem}</p>` : ''}
${
  frame.actionsEnabled
    ? html`<form method="post" action="/login" class="login">
<input type="hidden" name="next" value="${next}">
<label for="name">Your name</label><input id="name" name="name" required maxlength="64" autocomplete="username" value="${options.name ?? ''}">
<label for="token">Token</label><input id="token" name="token" type="password" required autocomplete="current-password">
<button type="submit">Sign in</button>
</form>`
    : html`<p>Actions are off: no <code>CONVEYOR_DASHBOARD_TOKEN</code> is set where the dashboard runs.</p>`
}`,
    false,
  );
}

/** `conveyor login` asks: may the CLI on this computer act as the person signed in here? */
export function cliLoginPage(frame: Frame, name: string, port: number, state: string): Html {
  return page(
    frame,
    html`<h1>Sign in the conveyor CLI</h1>
<p>A <code>conveyor login</code> on this computer (waiting on 127.0.0.1:${String(port)}) asks to act as <strong>${name}</strong>. Its actions go through this dashboard, which checks your roles for each one and records you with it. Allow only a login you started yourself.</p>
<form method="post" action="/cli/login">
<input type="hidden" name="_csrf" value="${frame.session?.csrf ?? ''}">
<input type="hidden" name="port" value="${String(port)}">
<input type="hidden" name="state" value="${state}">
<button type="submit">Allow the CLI to act as ${name}</button>
</form>`,
    false,
  );
}

/** Hands the one-time code to the CLI listening on loopback (a navigation, which CSP's form-action does not govern). */
export function cliHandOverPage(frame: Frame, url: string): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0;url=${url}">
<title>${frame.title} · conveyor</title>
<link rel="stylesheet" href="/static/app.css">
</head>
<body>
<main id="main"><p>Handing the sign-in to the CLI. <a href="${url}">Continue</a></p></main>
</body>
</html>`;
}

/** After the provider's round trip: a same-site step on to where the person was going. */
export function signedInPage(frame: Frame, name: string, next: string): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0;url=${next}">
<title>Signed in · conveyor</title>
<link rel="stylesheet" href="/static/app.css">
</head>
<body>
<main id="main"><p>Signed in as <strong>${name}</strong>. <a href="${next}">Continue</a></p></main>
</body>
</html>`;
}

/** Every person's action on the pipeline, from its history (client/audit.ts). */
export function auditPage(frame: Frame, service: string, entries: AuditEntry[], since: string): Html {
  return page(
    frame,
    html`<p class="crumb"><a href="/services/${encodeURIComponent(service)}">← ${service}</a></p>
<h1>Audit of ${service}</h1>
<p>Every action people took in the last ${since}, read from the pipeline's history. <strong>verified</strong>: signed by a dashboard after an identity provider's sign-in; <strong>unverified</strong>: the shared token; <strong>administrator</strong>: sent straight to Temporal, by whoever holds the namespace's credentials.</p>
${
  entries.length
    ? html`<table class="audit"><thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Who</th><th scope="col">Identity</th><th scope="col">Allowed by</th><th scope="col">Asked</th><th scope="col">What followed</th></tr></thead><tbody>
${entries.map(
  (e) =>
    html`<tr class="${e.assurance}"><td>${e.at}</td><td>${e.action}</td><td>${e.by}</td><td>${e.assurance}${e.provider && e.assurance !== 'administrator' ? html` (${e.provider}${e.issuer ? html`: ${e.issuer}` : ''})` : ''}</td><td>${e.rule ?? 'Temporal namespace access'}</td><td>${e.details}</td><td>${e.followed}</td></tr>`,
)}
</tbody></table>`
    : html`<p>No actions by people in this window.</p>`
}`,
    false,
  );
}

export function problemPage(frame: Frame, title: string, text: string): Html {
  return page(
    frame,
    html`<p class="crumb"><a href="/">← Fleet</a></p><h1>${title}</h1><p class="flash error" role="alert">${text}</p>`,
    false,
  );
}

export { raw };
