// `conveyor dashboard`: the fleet and each service in a browser, live, with the operators' actions.
// Hono on node:http; pages are rendered here (views.ts), a small script swaps in what changes.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import type { Client } from '@temporalio/client';
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE } from 'hono/streaming';
import type { Octokit } from 'octokit';
import { fleetSummary, type FleetCell } from '../domain/fleet';
import type { Freeze } from '../domain/freeze';
import { appsNamed } from '../domain/override';
import type { Service } from '../domain/service';
import * as act from './actions';
import { Access, SESSION_COOKIE, SESSION_MAX_AGE_S, type Session } from './access';
import { OidcSignIn, type OidcSettings } from './oidc';
import { SignInFailed } from './sign-in-attempts';
import { HerokuSignIn, type HerokuOAuthSettings } from './heroku-oauth';
import { herokuDeployer } from '../activities/heroku/deployers';
import type Heroku from 'heroku-client';
import type { ActionFacts } from '../domain/role';
import type { Identity } from '../domain/identity';
import { sign, type Attestation, type Claim } from '../domain/attestation';
import {
  HEROKU_DEPLOYERS,
  mayApprove,
  mayOperate,
  mayOperateFleet,
  mayView,
  type Grant,
  type Operation,
} from '../domain/role';
import { stagePolicy, workflowIdFor } from '../domain/service';
import { runningConfig } from '../client/pipelines';
import { parseSince, readAudit } from '../client/audit';
import { GitHubFacts, type GoingOut } from './github';
import { Poller } from './live';
import { readFleetRows, readFreeze, readServiceConfig, readStatus, type FleetRow } from './source';
import {
  fleetCounts,
  fleetPage,
  fleetRow,
  fleetTable,
  freezeBanner,
  loginPage,
  cliLoginPage,
  cliHandOverPage,
  problemPage,
  signedInPage,
  auditPage,
  promoteConfirmPage,
  serviceLive,
  pauseControl,
  approveForms,
  servicePage,
  columnNames,
  type Frame,
  type LeadTime,
  type Links,
  type ServiceFacts,
} from './views';

export interface DashboardOptions {
  client: Client;
  /** Task queue for conveyor/control (a freeze starts it when it does not run yet). */
  taskQueue: string;
  /** CONVEYOR_DASHBOARD_TOKEN; without one, the dashboard is read-only. */
  token?: string;
  /** 127.0.0.1 unless told otherwise. */
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** For "what is going out" and lead times; null leaves them out. */
  github?: Octokit | null;
  temporalUiUrl?: string;
  githubWebUrl?: string;
  herokuAppsUrl?: string;
  /** How often the fleet (one visibility call) and a watched service (one query) are read. */
  pollMs?: number;
  /** Where refused requests and actions are logged (one line each, never a secret). */
  log?: (line: string) => void;
  /** Sign-in through an OpenID Connect provider; when set, no name is typed and the token is not offered. */
  oidc?: OidcSettings;
  /** Sign-in through Heroku's OAuth (scope identity), when no OpenID provider is set. */
  herokuOAuth?: HerokuOAuthSettings;
  /** Conveyor's own Heroku client (HEROKU_API_KEY): reads who may deploy to an app for `heroku:deployers`. */
  heroku?: Heroku | null;
  /** CONVEYOR_SIGNING_KEY: each action is signed with it; its public key goes in the services file (access.signingKeys). */
  signingKey?: string;
  /** The router in front sets X-Forwarded-Proto truthfully (Heroku's does): CONVEYOR_TRUST_PROXY=1. */
  trustProxy?: boolean;
  /** The dashboard's public URL (CONVEYOR_DASHBOARD_URL), for the provider's redirect; default: the request's own. */
  publicUrl?: string;
  /** Host names answered besides loopback ones (CONVEYOR_HOSTNAMES: the app's herokuapp.com name, a custom domain); every other Host is refused. */
  hostnames?: string[];
  /** Routes served beside the dashboard's, behind the same Host check (`conveyor web`: webhooks, health, metrics). */
  routes?: Hono;
}

export interface Dashboard {
  url: string;
  stop(): Promise<void>;
}

const here = join(fileURLToPath(import.meta.url), '..');
const STATIC: Record<string, { type: string; body: string }> = {
  'app.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(join(here, 'public', 'app.js'), 'utf8') },
  'app.css': { type: 'text/css; charset=utf-8', body: readFileSync(join(here, 'public', 'app.css'), 'utf8') },
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const CONFIG_MS = 5 * 60_000;

interface ServiceWatch {
  poller: Poller<ServiceFacts>;
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { client } = options;
  const host = options.host ?? '127.0.0.1';
  const pollMs = options.pollMs ?? 1_000;
  const log = options.log ?? ((line: string) => console.error(`[dashboard] ${line}`));
  // With a provider configured, nobody signs in by typing a name.
  const provider = options.oidc
    ? new OidcSignIn(options.oidc)
    : options.herokuOAuth
      ? new HerokuSignIn(options.herokuOAuth)
      : undefined;
  const access = new Access(provider ? undefined : options.token);
  const actionsEnabled = Boolean(provider) || access.enabled;
  const github = new GitHubFacts(options.github ?? null);
  const links: Links = {
    temporalUi: options.temporalUiUrl?.replace(/\/$/, ''),
    namespace: client.options.namespace,
    githubWeb: (options.githubWebUrl ?? 'https://github.com').replace(/\/$/, ''),
    herokuApps: (options.herokuAppsUrl ?? 'https://dashboard.heroku.com/apps').replace(/\/$/, ''),
  };

  // ---- reading ----
  let freeze: { value: Freeze | null; at: number } = { value: null, at: 0 };
  const currentFreeze = async (): Promise<Freeze | null> => {
    if (Date.now() - freeze.at < Math.max(3_000, pollMs)) return freeze.value;
    try {
      freeze = { value: await readFreeze(client), at: Date.now() };
    } catch (error) {
      log(`could not read the freeze: ${(error as Error).message}`);
      freeze = { ...freeze, at: Date.now() };
    }
    return freeze.value;
  };
  const fleet = new Poller(
    async () => ({ rows: await readFleetRows(client), freeze: await currentFreeze() }),
    pollMs,
    undefined,
    (error) => log(`could not read the fleet: ${(error as Error).message}`),
  );

  const configs = new Map<string, { service: Service | null; at: number }>();
  const serviceConfig = async (name: string): Promise<Service | null> => {
    const known = configs.get(name);
    if (known && Date.now() - known.at < CONFIG_MS) return known.service;
    const read = await readServiceConfig(client, name).catch(() => null);
    configs.set(name, { service: read?.service ?? null, at: Date.now() });
    return read?.service ?? null;
  };

  const serviceFacts = async (name: string): Promise<ServiceFacts> => {
    const [status, service] = await Promise.all([readStatus(client, name), serviceConfig(name)]);
    const goingOut: Record<string, GoingOut> = {};
    const leadTimes: LeadTime[] = [];
    if (service) {
      await Promise.all(
        status.pairs.map(async (pair) => {
          const from = status.stages.find((s) => s.stage === pair.from)?.commit;
          const to = status.stages.find((s) => s.stage === pair.to)?.commit;
          if (from && to && from !== to) goingOut[pair.to] = await github.goingOut(service.repo, to, from);
        }),
      );
      leadTimes.push(...(await computeLeadTimes(status, service.repo, github)));
    }
    return { status, service, goingOut, leadTimes };
  };
  const watches = new Map<string, ServiceWatch>();
  const watchOf = (name: string): ServiceWatch => {
    let watch = watches.get(name);
    if (!watch) {
      watch = {
        poller: new Poller(
          () => serviceFacts(name),
          Math.max(pollMs, 1_000),
          undefined,
          (error) => log(`could not read ${name}: ${(error as Error).message}`),
        ),
      };
      watches.set(name, watch);
    }
    return watch;
  };
  const cellsOf = (facts: ServiceFacts): FleetCell[] => fleetSummary(facts.status, facts.service?.repo).stages;

  // ---- access ----
  const sessionOf = (c: Context): Session | undefined => access.find(getCookie(c, SESSION_COOKIE));
  const frameOf = (c: Context, title: string): Frame => ({
    title,
    session: sessionOf(c),
    actionsEnabled,
    here: new URL(c.req.url).pathname + new URL(c.req.url).search,
  });
  const who = (c: Context) => {
    const info = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket
      ?.remoteAddress;
    return info ?? 'unknown address';
  };
  const refuse = (c: Context, status: 401 | 403 | 400, why: string) => {
    log(`refused ${c.req.method} ${new URL(c.req.url).pathname} from ${who(c)}: ${why}`);
    return c.html(problemPage(frameOf(c, 'Refused'), 'Refused', why), status);
  };
  /** Same-origin only: a browser says where a form came from (Origin, Sec-Fetch-Site). */
  const crossSite = (c: Context): string | undefined => {
    const origin = c.req.header('origin');
    const site = c.req.header('sec-fetch-site');
    if (site && site !== 'same-origin' && site !== 'none') return `a ${site} request`;
    if (origin && origin !== 'null' && URL.canParse(origin) && new URL(origin).host !== c.req.header('host'))
      return `a request from ${origin}`;
    if (origin && origin !== 'null' && !URL.canParse(origin)) return 'a request with a malformed Origin';
    if (origin === 'null') return 'a request from an opaque origin';
    return undefined;
  };

  const app = new Hono();
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: 'same-origin',
    }),
  );
  // Only its own names are answered: loopback ones, and those it was told (no DNS rebinding onto the dashboard).
  const hostnames = new Set([...LOOPBACK, ...(options.hostnames ?? []).map((name) => name.toLowerCase())]);
  if (LOOPBACK.has(host) || options.hostnames?.length) {
    app.use('*', async (c, next) => {
      const name = (c.req.header('host') ?? '').replace(/:\d+$/, '').toLowerCase();
      if (!hostnames.has(name)) return refuse(c, 400, `host "${name}" is not this dashboard's`);
      await next();
    });
  }
  if (options.routes) app.route('/', options.routes);

  app.get('/static/:file', (c) => {
    const file = STATIC[c.req.param('file')];
    if (!file) return c.notFound();
    return c.body(file.body, 200, { 'content-type': file.type, 'cache-control': 'no-cache' });
  });

  app.get('/', async (c) => {
    const { value, version } = await fleet.versioned();
    return c.html(fleetPage(frameOf(c, 'Fleet'), value.rows, value.freeze, links, Date.now(), version));
  });

  app.get('/events/fleet', (c) =>
    streamSSE(c, async (stream) => {
      const frame = frameOf(c, 'Fleet');
      let last = new Map<string, string>();
      let lastColumns = '';
      let lastFreeze = '';
      let lastCounts = '';
      let chain = Promise.resolve();
      const send = (value: { rows: FleetRow[]; freeze: Freeze | null }) => {
        chain = chain.then(async () => {
          const now = Date.now();
          const columns = columnNames(value.rows);
          const keys = new Map(value.rows.map((r) => [r.service, JSON.stringify(r)]));
          const sameRows = value.rows.length === last.size && value.rows.every((r) => last.has(r.service));
          const payload: Record<string, unknown> = { updated: new Date(now).toISOString() };
          if (JSON.stringify(columns) !== lastColumns || !sameRows)
            payload.table = String(await fleetTable(value.rows, links, now));
          else {
            const changed: Record<string, string> = {};
            for (const row of value.rows)
              if (last.get(row.service) !== keys.get(row.service))
                changed[row.service] = String(await fleetRow(row, columns.length, links, now));
            payload.rows = changed;
          }
          const freezeKey = JSON.stringify(value.freeze);
          if (freezeKey !== lastFreeze) payload.freeze = String(await freezeBanner(value.freeze, frame));
          const counts = fleetCounts(value.rows);
          if (counts !== lastCounts) payload.counts = counts;
          last = keys;
          lastColumns = JSON.stringify(columns);
          lastFreeze = freezeKey;
          lastCounts = counts;
          await stream.writeSSE({ event: 'fleet', data: JSON.stringify(payload) });
        });
      };
      const { value: initial, version } = await fleet.versioned();
      if (String(version) === c.req.query('since')) {
        // The page was rendered from this same value: remember it, send only what changes later.
        last = new Map(initial.rows.map((r) => [r.service, JSON.stringify(r)]));
        lastColumns = JSON.stringify(columnNames(initial.rows));
        lastFreeze = JSON.stringify(initial.freeze);
        lastCounts = fleetCounts(initial.rows);
      } else {
        // It changed since the page was rendered (or the page is not ours): everything, at once.
        lastColumns = 'unknown';
        lastFreeze = 'unknown';
        send(initial);
      }
      const unsubscribe = fleet.subscribe(send);
      // A change that landed between reading the version and subscribing is not lost either.
      if (fleet.version !== version) send(await fleet.current());
      const ping = setInterval(() => void stream.writeSSE({ event: 'ping', data: '' }).catch(() => undefined), 15_000);
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      clearInterval(ping);
      unsubscribe();
    }),
  );

  const serviceName = (c: Context): string | undefined => {
    const name = c.req.param('name');
    return name && SERVICE_NAME.test(name) ? name : undefined;
  };
  const notFound = (c: Context, name: string | undefined, error?: unknown) => {
    const message = error ? String((error as Error).message) : '';
    if (/did not answer|deadline|worker/i.test(message))
      return c.html(
        problemPage(
          frameOf(c, 'No answer'),
          'The pipeline did not answer',
          `${name}: ${message} (is a worker running?)`,
        ),
        503,
      );
    return c.html(
      problemPage(frameOf(c, 'Not found'), 'No such pipeline', `no running pipeline for service "${name ?? ''}"`),
      404,
    );
  };

  app.get('/services/:name', async (c) => {
    const name = serviceName(c);
    if (!name) return notFound(c, name);
    const view = mayView(sessionOf(c)?.identity, (await serviceConfig(name))?.access);
    if (!view.allowed) return refuse(c, sessionOf(c) ? 403 : 401, `${name} refused by ${view.rule}: ${view.reason}`);
    let facts: ServiceFacts;
    let version: number;
    try {
      ({ value: facts, version } = await watchOf(name).poller.versioned());
    } catch (error) {
      watches.delete(name);
      return notFound(c, name, error);
    }
    return c.html(
      servicePage(facts, cellsOf(facts), await currentFreeze(), frameOf(c, name), links, Date.now(), version),
    );
  });

  // Who did what: the pipeline's history, for those who may view the service.
  app.get('/services/:name/audit', async (c) => {
    const name = serviceName(c);
    if (!name) return notFound(c, name);
    const config = (await readServiceConfig(client, name).catch(() => null))?.service;
    const view = mayView(sessionOf(c)?.identity, config?.access);
    if (!view.allowed)
      return refuse(c, sessionOf(c) ? 403 : 401, `the audit of ${name} refused by ${view.rule}: ${view.reason}`);
    const since = c.req.query('since') ?? '7d';
    let sinceMs: number;
    try {
      sinceMs = parseSince(since);
    } catch (error) {
      return refuse(c, 400, (error as Error).message);
    }
    try {
      const entries = await readAudit(client, name, sinceMs);
      return c.html(auditPage(frameOf(c, `Audit of ${name}`), name, entries, since));
    } catch (error) {
      return notFound(c, name, error);
    }
  });

  app.get('/events/services/:name', async (c) => {
    const name = serviceName(c);
    if (!name) return c.notFound();
    if (!mayView(sessionOf(c)?.identity, (await serviceConfig(name))?.access).allowed) return c.body(null, 403);
    return streamSSE(c, async (stream) => {
      const frame = frameOf(c, name);
      const watch = watchOf(name);
      const send = (facts: ServiceFacts) => {
        void (async () => {
          const live = String(await serviceLive(facts, cellsOf(facts), freeze.value, frame, links, Date.now()));
          // The actions that depend on the state come along; the page swaps each only when it changed.
          const controls = {
            'pause-control': String(await pauseControl(facts.status, frame)),
            'approve-forms': String(await approveForms(facts.status, frame)),
          };
          await stream.writeSSE({
            event: 'service',
            data: JSON.stringify({ html: live, controls, updated: new Date().toISOString() }),
          });
        })().catch(() => undefined);
      };
      // Changed since the page was rendered: catch up at once.
      const current = await watch.poller.versioned().catch(() => undefined);
      if (current && String(current.version) !== c.req.query('since')) send(current.value);
      const unsubscribe = watch.poller.subscribe(send);
      const ping = setInterval(() => void stream.writeSSE({ event: 'ping', data: '' }).catch(() => undefined), 15_000);
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      clearInterval(ping);
      unsubscribe();
      if (watch.poller.watchers === 0) watches.delete(name);
    });
  });

  app.get('/services/:name/promote', async (c) => {
    const name = serviceName(c);
    if (!name) return notFound(c, name);
    if (!sessionOf(c))
      return c.redirect(
        `/login?next=${encodeURIComponent(new URL(c.req.url).pathname + new URL(c.req.url).search)}`,
        303,
      );
    try {
      const status = await readStatus(client, name);
      return c.html(promoteConfirmPage(status, c.req.query('to') ?? '', frameOf(c, `Promote ${name}`)));
    } catch (error) {
      return notFound(c, name, error);
    }
  });

  // ---- signing in ----
  const safeNext = (next: unknown) => (typeof next === 'string' && /^\/(?!\/)[^\s\\]*$/.test(next) ? next : '/');
  /** HTTPS as the browser sees it: the request's own scheme, or the router's word when the deployment trusts it. */
  const overHttps = (c: Context): boolean => {
    if (new URL(c.req.url).protocol === 'https:') return true;
    if (!options.trustProxy) return false;
    return (c.req.header('x-forwarded-proto') ?? '').split(',')[0].trim().toLowerCase() === 'https';
  };
  const openSession = (c: Context, session: Session) =>
    setCookie(c, SESSION_COOKIE, session.id, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      maxAge: SESSION_MAX_AGE_S,
      secure: overHttps(c),
    });
  const loginOptions = () =>
    provider ? { provider: provider.issuer, ...(provider instanceof HerokuSignIn ? { heroku: true } : {}) } : {};
  app.get('/login', (c) =>
    c.html(loginPage(frameOf(c, 'Sign in'), safeNext(c.req.query('next')), undefined, loginOptions())),
  );
  app.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const next = safeNext(body.next);
    const cross = crossSite(c);
    if (cross) return refuse(c, 403, `sign-in refused: ${cross}`);
    if (provider)
      return refuse(
        c,
        403,
        `sign-in refused: this dashboard signs people in through ${provider.issuer}, not with a token`,
      );
    if (!access.enabled) return refuse(c, 403, 'sign-in refused: no CONVEYOR_DASHBOARD_TOKEN is set, actions are off');
    const name = typeof body.name === 'string' ? body.name : '';
    const problem = Access.nameProblem(name);
    if (problem) return c.html(loginPage(frameOf(c, 'Sign in'), next, problem, { name }), 400);
    if (typeof body.token !== 'string' || !access.tokenMatches(body.token)) {
      log(`refused sign-in as "${name.trim()}" from ${who(c)}: wrong token`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      // What was typed as the name stays; the token does not.
      return c.html(loginPage(frameOf(c, 'Sign in'), next, 'That is not the dashboard token.', { name }), 401);
    }
    const session = access.open(Access.typed(name));
    openSession(c, session);
    log(`${session.name} signed in from ${who(c)} with the shared token`);
    return c.redirect(next, 303);
  });

  // The provider's round trip: /auth/start sends the browser there, /auth/callback takes it back.
  const ATTEMPT_COOKIE = 'conveyor_signin';
  const callbackUrl = (c: Context): string => {
    if (options.publicUrl) return `${options.publicUrl.replace(/\/$/, '')}/auth/callback`;
    const url = new URL(c.req.url);
    if (overHttps(c)) url.protocol = 'https:';
    return `${url.origin}/auth/callback`;
  };
  app.get('/auth/start', async (c) => {
    if (!provider) return c.notFound();
    const next = safeNext(c.req.query('next'));
    try {
      const { url, attempt } = await provider.start(callbackUrl(c), next);
      // Lax: the provider sends the browser back with a cross-site navigation.
      setCookie(c, ATTEMPT_COOKIE, attempt, {
        httpOnly: true,
        sameSite: 'Lax',
        path: '/auth',
        maxAge: 600,
        secure: overHttps(c),
      });
      return c.redirect(url, 302);
    } catch (error) {
      log(`sign-in could not start: ${(error as Error).message}`);
      return c.html(loginPage(frameOf(c, 'Sign in'), next, (error as Error).message, loginOptions()), 502);
    }
  });
  app.get('/auth/callback', async (c) => {
    if (!provider) return c.notFound();
    const attempt = getCookie(c, ATTEMPT_COOKIE);
    deleteCookie(c, ATTEMPT_COOKIE, { path: '/auth' });
    try {
      const { identity, next } = await provider.finish(new URL(c.req.url), attempt);
      const session = access.open(identity);
      openSession(c, session);
      log(`${session.name} signed in from ${who(c)} through ${identity.issuer} (subject ${identity.subject})`);
      // A page, not a redirect: the SameSite=Strict cookie set after a cross-site navigation is sent
      // with the next same-site one, which this page makes.
      return c.html(signedInPage(frameOf(c, 'Signed in'), session.name, next));
    } catch (error) {
      const why = error instanceof SignInFailed ? error.message : 'the sign-in failed';
      log(`refused sign-in from ${who(c)}: ${(error as Error).message}`);
      return c.html(loginPage(frameOf(c, 'Sign in'), '/', why, loginOptions()), 401);
    }
  });
  app.post('/logout', async (c) => {
    const session = sessionOf(c);
    const body = await c.req.parseBody();
    if (session && Access.csrfMatches(session, body._csrf)) access.close(session.id);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.redirect('/', 303);
  });

  // ---- actions: the same signals and updates the CLI sends ----
  type Form = Record<string, string>;
  const text = (form: Form, key: string) => (typeof form[key] === 'string' ? form[key].trim() : '');
  /** A promotion's target: one app, or several apps of a wave asked at once, comma-separated. */
  const promoteTargets = (form: Form): string | string[] => {
    const apps = appsNamed(text(form, 'to'));
    return apps.length > 1 ? apps : (apps[0] ?? '');
  };
  type Signing = { by: string; attestation?: Attestation };
  const actions: Record<string, (form: Form, by: Signing) => Promise<{ text: string; ok?: boolean; back: string }>> = {
    async pause(form, by) {
      const service = text(form, 'service');
      if (!text(form, 'reason')) throw new Error('a reason is required to pause');
      const stage = text(form, 'stage');
      await act.pause(client, service, { reason: text(form, 'reason'), ...by, ...(stage ? { stage } : {}) });
      return {
        text: `paused ${stage ? `${stage} in ` : ''}${service}`,
        back: `/services/${encodeURIComponent(service)}`,
      };
    },
    async resume(form, by) {
      const service = text(form, 'service');
      const stage = text(form, 'stage');
      await act.resume(client, service, { ...by, ...(stage ? { stage } : {}) });
      return { text: `resumed ${stage || service}`, back: `/services/${encodeURIComponent(service)}` };
    },
    async freeze(form, by) {
      if (!text(form, 'reason')) throw new Error('a reason is required to freeze');
      await act.freeze(client, options.taskQueue, { reason: text(form, 'reason'), ...by });
      freeze.at = 0;
      return { text: 'frozen: every pipeline holds its promotions', back: '/' };
    },
    async unfreeze(_form, by) {
      await act.unfreeze(client, options.taskQueue, by);
      freeze.at = 0;
      return { text: 'unfrozen', back: '/' };
    },
    async promote(form, by) {
      const service = text(form, 'service');
      const outcome = await act.promote(client, service, {
        to: promoteTargets(form),
        reason: text(form, 'reason'),
        ...by,
        skipGates: form.skipGates === 'true',
      });
      return { text: outcome.message, ok: outcome.started, back: `/services/${encodeURIComponent(service)}` };
    },
    async approve(form, by) {
      const service = text(form, 'service');
      const comment = text(form, 'comment');
      const message = await act.approve(client, service, {
        stage: text(form, 'stage'),
        commit: text(form, 'commit') || undefined,
        ...by,
        ...(comment ? { comment } : {}),
      });
      return { text: message, back: `/services/${encodeURIComponent(service)}` };
    },
    async retry(form, by) {
      const service = text(form, 'service');
      const reason = text(form, 'reason');
      const message = await act.retry(client, service, { to: text(form, 'to'), ...(reason ? { reason } : {}), ...by });
      return { text: message, back: `/services/${encodeURIComponent(service)}` };
    },
    async reject(form, by) {
      const service = text(form, 'service');
      const message = await act.reject(client, service, {
        commit: text(form, 'commit'),
        reason: text(form, 'reason'),
        ...by,
      });
      return { text: message, back: `/services/${encodeURIComponent(service)}` };
    },
    async unreject(form, by) {
      const service = text(form, 'service');
      const message = await act.unreject(client, service, text(form, 'commit'), by);
      return { text: message, back: `/services/${encodeURIComponent(service)}` };
    },
  };

  /** Which rule lets this person do this, read from the service's configuration at the time of the action. */
  /**
   * After a Heroku sign-in: does Heroku let this person deploy to the apps the action can release to,
   * asked now. Nothing is asked for other sign-ins (heroku:deployers never matches them).
   */
  const herokuFacts = async (identity: Identity, apps: string[]): Promise<ActionFacts> => {
    if (identity.provider !== 'heroku') return {};
    if (!options.heroku)
      return { herokuReason: 'this dashboard has no Heroku token (HEROKU_API_KEY) to ask who may deploy' };
    const verdict = await herokuDeployer(options.heroku, { id: identity.subject, email: identity.email }, apps);
    return { herokuDeployer: verdict.deployer, ...(verdict.deployer ? {} : { herokuReason: verdict.reason }) };
  };
  /** The apps conveyor promotes into (every stage after the first). */
  const releasedTo = (config: Service | undefined) =>
    config ? (config.stages.length > 1 ? config.stages.slice(1) : config.stages) : [];

  const grantFor = async (name: string, session: Session, form: Form): Promise<{ grant: Grant; stage?: string }> => {
    const service = text(form, 'service');
    if (name === 'freeze' || name === 'unfreeze') {
      const rows = (await fleet.current()).rows;
      const configs = await Promise.all(
        rows.map(async (row) => ({
          service: row.service,
          config: await runningConfig(client.workflow.getHandle(workflowIdFor(row.service))).catch(() => undefined),
        })),
      );
      const facts = await herokuFacts(
        session.identity,
        configs.flatMap(({ config }) => releasedTo(config)),
      );
      const policies = configs.map(({ service, config }) => ({ service, access: config?.access }));
      return { grant: mayOperateFleet(session.identity, policies, name, facts) };
    }
    // The configuration the pipeline runs now, changes applied since its run started included.
    const config = await runningConfig(client.workflow.getHandle(workflowIdFor(service))).catch(() => undefined);
    const view = mayView(session.identity, config?.access);
    if (!view.allowed) return { grant: view };
    if (name === 'approve') {
      const stage = text(form, 'stage');
      const approvers = config ? (stagePolicy(config, stage).approval?.approvers ?? []) : [];
      const facts = approvers.includes(HEROKU_DEPLOYERS) ? await herokuFacts(session.identity, [stage]) : {};
      return { grant: mayApprove(session.identity, stage, approvers, facts), stage };
    }
    // A promotion's targets, or the one app a pause or resume names: the apps the action touches.
    const app = name === 'pause' || name === 'resume' ? text(form, 'stage') : '';
    const to = name === 'promote' ? [promoteTargets(form)].flat().filter(Boolean) : app ? [app] : [];
    const facts = await herokuFacts(session.identity, to.length > 0 ? to : releasedTo(config));
    return {
      grant: mayOperate(session.identity, config?.access, name as Operation, facts),
      ...(app ? { stage: app } : {}),
    };
  };

  /** The dashboard's signed word for this action (nothing when it has no key: the pipeline then sees an unsigned request). */
  const signed = (claim: Omit<Claim, 'v' | 'at'>): Attestation | undefined =>
    options.signingKey ? sign({ v: 1, ...claim, at: new Date().toISOString() }, options.signingKey) : undefined;

  /** One action by one signed-in person: the rule decides, the dashboard signs, the pipeline answers. */
  type Performed =
    | { outcome: 'refused'; status: 400 | 403 | 404; text: string; rule?: string; back: string }
    | { outcome: 'done'; ok: boolean; text: string; rule: string; back: string }
    | { outcome: 'failed'; text: string; rule: string; back: string };
  const perform = async (name: string, session: Session, form: Form): Promise<Performed> => {
    const action = actions[name];
    const service = text(form, 'service');
    const back = service && SERVICE_NAME.test(service) ? `/services/${encodeURIComponent(service)}` : '/';
    if (!action) return { outcome: 'refused', status: 404, text: `no action "${name}"`, back };
    if (service && !SERVICE_NAME.test(service))
      return { outcome: 'refused', status: 400, text: `${name} refused: "${service}" is not a service name`, back };
    const { grant, stage } = await grantFor(name, session, form);
    if (!grant.allowed) {
      log(`refused ${session.name} ${name}${service ? ` ${service}` : ''} by ${grant.rule}: ${grant.reason}`);
      return {
        outcome: 'refused',
        status: 403,
        text: `${name} refused by ${grant.rule}: ${grant.reason}`,
        rule: grant.rule,
        back,
      };
    }
    const { member } = grant;
    const attestation = signed({
      service,
      action: name,
      ...(stage ? { stage } : {}),
      ...(text(form, 'commit') ? { commit: text(form, 'commit') } : {}),
      identity: session.identity,
      rule: grant.rule,
      ...(member ? { member } : {}),
    });
    try {
      const done = await action(form, { by: session.name, ...(attestation ? { attestation } : {}) });
      log(`${session.name} ${name}${service ? ` ${service}` : ''} (${grant.rule}): ${done.text}`);
      watches
        .get(service)
        ?.poller.current()
        .catch(() => undefined);
      return { outcome: 'done', ok: done.ok !== false, text: done.text, rule: grant.rule, back: done.back };
    } catch (error) {
      log(`${session.name} ${name}${service ? ` ${service}` : ''} failed: ${(error as Error).message}`);
      return { outcome: 'failed', text: (error as Error).message, rule: grant.rule, back };
    }
  };

  app.post('/actions/:action', async (c) => {
    const name = c.req.param('action');
    if (!actions[name]) return c.notFound();
    const session = sessionOf(c);
    if (!actionsEnabled)
      return refuse(c, 403, `${name} refused: actions are off (no identity provider, no CONVEYOR_DASHBOARD_TOKEN)`);
    if (!session) return refuse(c, 401, `${name} refused: not signed in`);
    const cross = crossSite(c);
    if (cross) return refuse(c, 403, `${name} refused: ${cross}`);
    const form = await c.req.parseBody<Form>();
    if (!Access.csrfMatches(session, form._csrf)) return refuse(c, 403, `${name} refused: missing or wrong CSRF token`);
    const service = text(form, 'service');
    if (service && !SERVICE_NAME.test(service))
      return refuse(c, 400, `${name} refused: "${service}" is not a service name`);
    const performed = await perform(name, session, form);
    session.flash = {
      kind: performed.outcome === 'done' && performed.ok ? 'ok' : 'error',
      text: performed.text,
    };
    return c.redirect(performed.back, 303);
  });

  // ---- the CLI: `conveyor login` borrows a browser sign-in, then acts through /api ----
  const cliCodes = new Map<string, { identity: Identity; expiresAt: number }>();
  const CLI_CODE_MS = 2 * 60_000;
  const cliLoginParams = (c: Context) => {
    const port = Number(c.req.query('port'));
    const state = c.req.query('state') ?? '';
    if (!Number.isInteger(port) || port < 1024 || port > 65_535 || !/^[A-Za-z0-9_-]{16,128}$/.test(state))
      return undefined;
    return { port, state };
  };
  app.get('/cli/login', (c) => {
    if (!actionsEnabled) return refuse(c, 403, 'CLI sign-in refused: actions are off on this dashboard');
    const params = cliLoginParams(c);
    if (!params) return refuse(c, 400, 'CLI sign-in refused: start it with conveyor login');
    const session = sessionOf(c);
    if (!session) {
      const here = new URL(c.req.url);
      return c.redirect(`/login?next=${encodeURIComponent(here.pathname + here.search)}`, 303);
    }
    return c.html(cliLoginPage(frameOf(c, 'Sign in the CLI'), session.name, params.port, params.state));
  });
  app.post('/cli/login', async (c) => {
    const session = sessionOf(c);
    if (!session) return refuse(c, 401, 'CLI sign-in refused: not signed in');
    const cross = crossSite(c);
    if (cross) return refuse(c, 403, `CLI sign-in refused: ${cross}`);
    const form = await c.req.parseBody<Form>();
    if (!Access.csrfMatches(session, form._csrf))
      return refuse(c, 403, 'CLI sign-in refused: missing or wrong CSRF token');
    const port = Number(form.port);
    const state = text(form, 'state');
    if (!Number.isInteger(port) || port < 1024 || port > 65_535 || !/^[A-Za-z0-9_-]{16,128}$/.test(state))
      return refuse(c, 400, 'CLI sign-in refused: start it with conveyor login');
    const now = Date.now();
    for (const [code, pending] of cliCodes) if (pending.expiresAt <= now) cliCodes.delete(code);
    const code = randomBytes(32).toString('base64url');
    cliCodes.set(code, { identity: session.identity, expiresAt: now + CLI_CODE_MS });
    log(`${session.name} let a conveyor CLI on 127.0.0.1:${port} sign in`);
    // Only to this machine's loopback: the code is worth nothing without reaching the CLI that asked.
    return c.html(
      cliHandOverPage(
        frameOf(c, 'CLI signed in'),
        `http://127.0.0.1:${port}/callback?${new URLSearchParams({ code, state })}`,
      ),
    );
  });

  const bearerSession = (c: Context): Session | undefined => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+([A-Za-z0-9_-]{20,})$/i.exec(header.trim());
    return match ? access.find(match[1]) : undefined;
  };
  const apiError = (c: Context, status: 400 | 401 | 403 | 404 | 502, error: string, rule?: string) => {
    log(`refused ${c.req.method} ${new URL(c.req.url).pathname} from ${who(c)}: ${error}`);
    return c.json({ error, ...(rule ? { rule } : {}) }, status);
  };
  /** The CLI trades its one-time code for a token: a session of its own, as long as a browser's. */
  app.post('/api/token', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { code?: unknown };
    const pending = typeof body.code === 'string' ? cliCodes.get(body.code) : undefined;
    if (typeof body.code === 'string') cliCodes.delete(body.code);
    if (!pending || pending.expiresAt <= Date.now())
      return apiError(c, 400, 'the sign-in code is unknown, used or expired: run conveyor login again');
    const session = access.open(pending.identity);
    return c.json({
      token: session.id,
      name: session.name,
      provider: session.identity.provider,
      issuer: session.identity.issuer,
      expiresAt: new Date(session.expiresAt).toISOString(),
    });
  });
  app.get('/api/whoami', (c) => {
    const session = bearerSession(c);
    if (!session) return apiError(c, 401, 'not signed in (or the sign-in expired): run conveyor login');
    return c.json({
      name: session.name,
      provider: session.identity.provider,
      issuer: session.identity.issuer,
      expiresAt: new Date(session.expiresAt).toISOString(),
    });
  });
  app.post('/api/actions/:action', async (c) => {
    const name = c.req.param('action');
    if (!actions[name]) return apiError(c, 404, `no action "${name}"`);
    const session = bearerSession(c);
    if (!session)
      return apiError(c, 401, `${name} refused: not signed in (or the sign-in expired): run conveyor login`);
    const raw = (await c.req.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (!raw || typeof raw !== 'object') return apiError(c, 400, `${name} refused: the body is not a JSON object`);
    const form: Form = Object.fromEntries(
      Object.entries(raw).flatMap(([key, value]) =>
        typeof value === 'string' || typeof value === 'boolean' ? [[key, String(value)]] : [],
      ),
    );
    // An approval is signed for one commit: the one waiting, when the CLI named none.
    if (name === 'approve' && !text(form, 'commit') && SERVICE_NAME.test(text(form, 'service'))) {
      const waiting = await readStatus(client, text(form, 'service'))
        .then((status) => status.waitingForApproval.find((w) => w.stage === text(form, 'stage'))?.commit)
        .catch(() => undefined);
      if (waiting) form.commit = waiting;
    }
    const performed = await perform(name, session, form);
    if (performed.outcome === 'refused') return apiError(c, performed.status, performed.text, performed.rule);
    if (performed.outcome === 'failed') return c.json({ error: performed.text, rule: performed.rule }, 409);
    return c.json({ ok: performed.ok, message: performed.text, rule: performed.rule, by: session.name });
  });

  app.onError((error, c) => {
    log(`error on ${c.req.method} ${new URL(c.req.url).pathname}: ${error.message}`);
    return c.html(problemPage(frameOf(c, 'Error'), 'Something went wrong', error.message), 500);
  });

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 0 }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    async stop() {
      fleet.stop();
      for (const watch of watches.values()) watch.poller.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}

/** Per recent change: when it was merged (GitHub) and when it reached each stage (history, status). */
async function computeLeadTimes(
  status: ServiceFacts['status'],
  repo: string,
  github: GitHubFacts,
): Promise<LeadTime[]> {
  const stages = status.stages.map((s) => s.stage);
  const arrivals = new Map<string, (string | null)[]>();
  const arrive = (commit: string | null, index: number, at: string | null | undefined) => {
    if (!commit || index < 0 || !at) return;
    const list = arrivals.get(commit) ?? stages.map(() => null);
    if (!list[index] || Date.parse(at) < Date.parse(list[index])) list[index] = at;
    arrivals.set(commit, list);
  };
  const promoted = new Set<string>();
  for (const record of status.history) {
    if (record.outcome !== 'succeeded' && record.outcome !== 'rolled-back') continue;
    arrive(record.commit, stages.indexOf(record.to), record.finishedAt);
    if (record.commit) promoted.add(record.commit);
  }
  status.stages.forEach((s, i) => arrive(s.commit, i, s.releasedAt));
  // Changes conveyor moved; what the stages ran before it started says nothing about lead time.
  const recent = [...arrivals.entries()]
    .filter(([commit]) => promoted.has(commit))
    .sort(
      (a, b) =>
        Math.max(...b[1].map((x) => (x ? Date.parse(x) : 0))) - Math.max(...a[1].map((x) => (x ? Date.parse(x) : 0))),
    )
    .slice(0, 6);
  const result: LeadTime[] = [];
  for (const [commit, list] of recent) {
    const mergedAt = (await github.commitDate(repo, commit)) ?? list.find((a) => a) ?? null;
    if (mergedAt) result.push({ commit, mergedAt, arrivals: list });
  }
  return result;
}
