import { z } from 'zod';
import { MAX_DURATION_MS, parseDuration } from '../domain/duration';
import type { Service, StagePolicy } from '../domain/service';
import type { WindowPolicy } from '../domain/window';
import { blackoutSpec, windowSpec } from './window-schema';
import { alertSpec, incidentSpec, toAlertPolicy, toIncidentPolicy, toUrlPolicy, urlSpec } from './health-schema';
import {
  approvalSpec,
  ciSpec,
  toApprovalPolicy,
  toWebhookPolicy,
  toZeroDowntimeMode,
  webhookSpec,
  zeroDowntimeSpec,
} from './checks-schema';
import { closest } from './suggest';
import { accessSpec, toAccessPolicy } from './access-schema';
import { waveProblems, waveRuleProblem, wavesOfEntries } from '../domain/wave';

const DURATION_FORM = 'a number and a unit (ms, s, m, h, d), such as "30m", "90s" or "1h30m"';

/**
 * A duration written as text. `zero` says whether "0s" means something for this setting; when it
 * does not, the message says why, so nobody has to guess whether "0s" was a typo or a rule.
 */
const duration = (
  what: string,
  zero: { allowed: true } | { allowed: false; why: string },
  least?: { ms: number; text: string; why: string },
) =>
  z
    .string({
      error: (issue) =>
        typeof issue.input === 'number'
          ? `${what} must be text with a unit, such as "${issue.input}s" or "${issue.input}m" (a bare number has no unit)`
          : `${what} must be ${DURATION_FORM}`,
    })
    .superRefine((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined)
        ctx.addIssue({ code: 'custom', message: `${what} must be a duration: "${text}" is not ${DURATION_FORM}` });
      else if (ms === 0 && !zero.allowed)
        ctx.addIssue({ code: 'custom', message: `${what} must be more than "0s": ${zero.why}` });
      else if (least && ms < least.ms)
        ctx.addIssue({ code: 'custom', message: `${what} must be at least "${least.text}": ${least.why}` });
      else if (ms > MAX_DURATION_MS) ctx.addIssue({ code: 'custom', message: `${what} must be at most "365d"` });
    });

/** Alerts and URLs checked before a promotion into a stage. */
const checksSpec = z
  .object({
    alerts: alertSpec.optional().meta({
      description: "Alerts checked before a promotion into this stage; replaces the service's alerts for it.",
    }),
    urls: urlSpec.optional().meta({
      description: "URLs that must answer 200 before a promotion into this stage; replaces the service's urls for it.",
    }),
    bake: duration('bake', { allowed: false, why: 'leave bake out to skip verification' })
      .optional()
      .meta({
        description:
          'After a promotion into this stage, how long its alerts and URLs must stay green (replaces the service-wide bake).',
        examples: ['10m'],
      }),
    approval: approvalSpec.optional().meta({
      description: 'A person must approve each release into this stage (conveyor approve).',
      examples: [{ approvers: ['ana@acme.com'] }],
    }),
    zeroDowntime: zeroDowntimeSpec.optional().meta({
      description:
        'Require at least 2 web dynos and preboot on the target; default block for apps coupled as production.',
      examples: [true, { mode: 'warn' }],
    }),
    webhook: webhookSpec.optional().meta({
      description:
        "The team's own endpoint asked before each promotion into this stage (replaces the service's webhook).",
    }),
  })
  .strict()
  .meta({ description: 'Checks for promotions into one stage.' });

const appName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,29}$/, 'must be a Heroku app name (lowercase letters, digits and dashes)')
  .meta({ description: 'A Heroku app name.', examples: ['api-qa01'] });

/** Rules across fields run even when other fields have problems: every problem is reported at once. */
const ALWAYS = { when: () => true };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const names = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
/** Every app of a `stages` value, its waves' apps included, in order. */
const stageApps = (value: unknown): string[] =>
  Array.isArray(value) ? value.flatMap((entry: unknown) => (Array.isArray(entry) ? names(entry) : names([entry]))) : [];

export const serviceSpec = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be letters, digits, ".", "_" or "-"')
      .meta({ description: 'Service name; the workflow id is conveyor/<name>.', examples: ['api'] }),
    pipeline: z
      .string()
      .min(1, 'must name a Heroku pipeline (name or id)')
      .meta({ description: 'Heroku pipeline name or id.', examples: ['api'] }),
    stages: z
      .array(
        z.union([
          appName,
          z.array(appName).meta({ description: 'A wave: apps promoted together from the stage before.' }),
        ]),
      )
      .min(2, 'needs at least 2 apps')
      .meta({
        description:
          'Heroku apps in promotion order, at least 2 stages, each app coupled to the pipeline. A stage may be a list of apps (a wave), promoted together once the release has soaked on the wave before; the first stage is one app.',
        examples: [
          ['api-qa01', 'api-st01', 'api-va01', 'api-eu01'],
          ['api-qa01', 'api-st01', ['api-va01', 'api-va02'], ['api-eu01', 'api-eu02', 'api-ap01']],
        ],
      }),
    waves: z
      .string()
      .default('all')
      .superRefine((text, ctx) => {
        const problem = waveRuleProblem(text);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .meta({
        description:
          'When a release leaves a wave of several apps: once it has soaked on every app ("all"), on any one ("any"), or on N of every M apps ("2 of 3", counted up). A release that failed or was rolled back on any app of a wave never goes on.',
        examples: ['all', 'any', '2 of 3'],
      }),
    repo: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be a GitHub repository "owner/name"')
      .meta({ description: 'GitHub repository "owner/name".', examples: ['acme/api'] }),
    branch: z
      .string()
      .min(1, 'must name a branch')
      .default('main')
      .meta({ description: 'Only commits on this branch are promoted.', examples: ['main'] }),
    minAge: duration('minAge', { allowed: true })
      .default('30m')
      .meta({
        description: 'Soak time of a release on a stage before it moves on; "0s" moves it at once.',
        examples: ['30m', '90s', '1h30m', '0s'],
      }),
    tick: duration(
      'tick',
      { allowed: false, why: 'it is how often the pipeline is looked at, so it needs a pause between looks' },
      { ms: 1_000, text: '1s', why: 'a look costs a Heroku request, and Heroku allows about 75 a minute' },
    )
      .default('60s')
      .meta({ description: 'How often the pipeline is observed when nothing else wakes it.', examples: ['60s', '5m'] }),
    webhookTick: duration(
      'webhookTick',
      { allowed: false, why: 'it is how often the pipeline is looked at, so it needs a pause between looks' },
      { ms: 1_000, text: '1s', why: 'a look costs a Heroku request, and Heroku allows about 75 a minute' },
    )
      .optional()
      .meta({
        description:
          "The fallback poll while Heroku's release webhooks reach conveyor (a release wakes the pipeline at once); default 10m, never more often than tick.",
        examples: ['10m', '30m'],
      }),
    windows: z
      .array(windowSpec)
      .optional()
      .meta({
        description: 'Deploy windows for this service; replaces the global windows.',
        examples: [[{ days: 'Mon-Thu', start: '09:00', end: '16:00', timeZone: 'America/Los_Angeles' }]],
      }),
    blackouts: z
      .array(blackoutSpec)
      .default([])
      .meta({
        description: 'Blackouts for this service; added to the global ones.',
        examples: [[{ from: '2026-12-24', to: '2027-01-02', reason: 'holidays', timeZone: 'Europe/Berlin' }]],
      }),
    ignoreFreeze: z
      .boolean()
      .default(false)
      .meta({
        description: 'true for hotfix-only services that keep promoting during a company-wide freeze.',
        examples: [true],
      }),
    incident: incidentSpec
      .optional()
      .meta({ description: 'Incident sources for this service; replaces the global ones.' }),
    alerts: alertSpec.optional().meta({ description: 'Alerts checked before a promotion into any stage.' }),
    urls: urlSpec.optional().meta({ description: 'URLs that must answer 200 before a promotion into any stage.' }),
    stageChecks: z
      .record(z.string(), checksSpec)
      .default({})
      .meta({
        description: 'Per target stage (app name): checks that replace the service-wide ones for promotions into it.',
        examples: [
          { 'api-eu01': { bake: '10m', approval: { approvers: ['ana@acme.com'] }, zeroDowntime: { mode: 'warn' } } },
        ],
      }),
    bake: duration('bake', { allowed: false, why: 'leave bake out to skip verification' })
      .optional()
      .meta({
        description: 'Verification time after every promotion: alerts and URLs must stay green this long.',
        examples: ['10m'],
      }),
    onFailure: z
      .enum(['rollback', 'pause'], { error: 'must be "rollback" or "pause"' })
      .default('rollback')
      .meta({
        description: 'What a failed verification does: roll the stage back and pause, or only pause.',
        examples: ['pause'],
      }),
    ci: ciSpec.meta({
      description: "The CI gate on the source commit's GitHub checks and statuses; false turns it off.",
      examples: [false],
    }),
    webhook: webhookSpec.optional().meta({ description: "The team's own endpoint, asked before every promotion." }),
    access: accessSpec.optional(),
  })
  .strict()
  .superRefine((service, ctx) => {
    if (!isRecord(service)) return;
    const stages = stageApps(service.stages);
    const entries: unknown[] = Array.isArray(service.stages) ? service.stages : [];
    // Entries of the wrong type are zod's to report; the waves are judged once every entry reads.
    if (entries.every((entry) => typeof entry === 'string' || Array.isArray(entry)))
      for (const problem of waveProblems(entries.map((entry) => (typeof entry === 'string' ? entry : names(entry)))))
        ctx.addIssue({ code: 'custom', path: ['stages', ...problem.path], message: problem.message });
    for (const stage of Object.keys(isRecord(service.stageChecks) ? service.stageChecks : {})) {
      if (!stages.includes(stage)) {
        const near = closest(stage, stages);
        ctx.addIssue({
          code: 'custom',
          path: ['stageChecks', stage],
          message: `"${stage}" is not one of this service's stages${near ? ` (did you mean "${near}"?)` : ''}`,
        });
      } else if (stage === stages[0])
        ctx.addIssue({
          code: 'custom',
          path: ['stageChecks', stage],
          message: `"${stage}" is the first stage: nothing is promoted into it`,
        });
    }
    const incident: Record<string, unknown> = isRecord(service.incident) ? service.incident : {};
    const pagerduty: Record<string, unknown> = isRecord(incident.pagerduty) ? incident.pagerduty : {};
    names(pagerduty.stages).forEach((stage, i) => {
      if (stages.includes(stage) && stage !== stages[0]) return;
      const near = closest(stage, stages);
      ctx.addIssue({
        code: 'custom',
        path: ['incident', 'pagerduty', 'stages', i],
        message:
          stage === stages[0]
            ? `"${stage}" is the first stage: nothing is promoted into it`
            : `"${stage}" is not one of this service's stages${near ? ` (did you mean "${near}"?)` : ''}`,
      });
    });
  }, ALWAYS)
  .meta({ description: 'One Heroku pipeline and its GitHub repository: one workflow conveyor/<name>.' });

/** Settings every service inherits. */
export const globalSpec = z
  .object({
    windows: z
      .array(windowSpec)
      .default([])
      .meta({
        description: 'Deploy windows of every service that has none of its own.',
        examples: [[{ days: 'Mon-Thu', start: '09:00', end: '16:00', timeZone: 'America/Los_Angeles' }]],
      }),
    blackouts: z
      .array(blackoutSpec)
      .default([])
      .meta({
        description: 'Blackouts of every service.',
        examples: [[{ from: '2026-12-24', to: '2027-01-02', reason: 'holidays' }]],
      }),
    incident: incidentSpec
      .optional()
      .meta({ description: 'Incident sources of every service that has none of its own.' }),
    access: accessSpec.optional(),
  })
  .strict();

export const servicesFile = z
  .object({
    $schema: z
      .string()
      .optional()
      .meta({
        description: 'The JSON Schema this file follows, so editors complete and check it.',
        examples: ['./services.schema.json'],
      }),
    global: globalSpec.default({ windows: [], blackouts: [] }).meta({
      description: 'Settings every service inherits: windows, blackouts, incident sources.',
      examples: [
        {
          windows: [{ days: 'Mon-Thu', start: '09:00', end: '16:00', timeZone: 'America/Los_Angeles' }],
          incident: { herokuStatus: { systems: ['Apps'] } },
        },
      ],
    }),
    services: z
      .array(serviceSpec)
      .min(1, 'needs at least one service')
      .meta({
        description: 'The services conveyor delivers, one pipeline workflow each.',
        examples: [
          [
            {
              name: 'api',
              pipeline: 'api',
              stages: ['api-qa01', 'api-st01', 'api-va01', 'api-eu01'],
              repo: 'acme/api',
              minAge: '30m',
            },
          ],
        ],
      }),
  })
  .strict()
  .superRefine((file, ctx) => {
    // Rules across services: each finds every instance at once, next to the other problems.
    if (!isRecord(file)) return;
    const byName = new Map<string, number>();
    const pipelines = new Map<string, number>();
    const apps = new Map<string, number>();
    const globalKeys =
      isRecord(file.global) && isRecord(file.global.access) ? names(file.global.access.signingKeys) : [];
    (Array.isArray(file.services) ? file.services : []).forEach((service, i) => {
      if (!isRecord(service) || !isRecord(service.stageChecks)) return;
      const ownKeys = isRecord(service.access) ? names(service.access.signingKeys) : [];
      if (globalKeys.length || ownKeys.length) return;
      for (const [stage, checks] of Object.entries(service.stageChecks)) {
        const approvers = isRecord(checks) && isRecord(checks.approval) ? names(checks.approval.approvers) : [];
        if (approvers.some((a) => a !== '*'))
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'stageChecks', stage, 'approval', 'approvers'],
            message:
              "names people, but no access.signingKeys is set (global or this service's): only an approval a dashboard signed opens such a gate, so none could; add the dashboard's public key (conveyor signing-key)",
          });
      }
    });
    (Array.isArray(file.services) ? file.services : []).forEach((service, i) => {
      if (!isRecord(service)) return;
      const { name, pipeline } = service as Record<string, unknown>;
      if (typeof name === 'string') {
        if (byName.has(name))
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'name'],
            message: `"${name}" is used by two services (services[${byName.get(name)}] too)`,
          });
        else byName.set(name, i);
      }
      if (typeof pipeline === 'string') {
        if (pipelines.has(pipeline))
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'pipeline'],
            message: `pipeline "${pipeline}" is already delivered by services[${pipelines.get(pipeline)}]: two workflows would promote the same apps`,
          });
        else pipelines.set(pipeline, i);
      }
      const own = new Set<string>();
      const entries: unknown[] = Array.isArray(service.stages) ? service.stages : [];
      const located = entries.flatMap((entry, j) =>
        Array.isArray(entry)
          ? names(entry).map((app, k) => ({ app, path: [j, k] }))
          : names([entry]).map((app) => ({ app, path: [j] })),
      );
      located.forEach(({ app, path }) => {
        const other = apps.get(app);
        if (other !== undefined && !own.has(app))
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'stages', ...path],
            message: `"${app}" is already a stage of services[${other}]`,
          });
        own.add(app);
        if (other === undefined) apps.set(app, i);
      });
    });
  }, ALWAYS);

export type ServiceSpec = z.input<typeof serviceSpec>;

export function toService(
  spec: z.output<typeof serviceSpec>,
  global: z.output<typeof globalSpec> = { windows: [], blackouts: [] },
): Service {
  const windows: WindowPolicy = {
    windows: spec.windows ?? global.windows,
    blackouts: [...global.blackouts, ...spec.blackouts],
  };
  const incident = spec.incident ?? global.incident;
  const access = toAccessPolicy(spec.access, global.access);
  const checks: Record<string, StagePolicy> = {};
  const policy = (c: Partial<z.output<typeof checksSpec>>): StagePolicy => {
    const zeroDowntime = c.zeroDowntime === undefined ? undefined : (toZeroDowntimeMode(c.zeroDowntime) ?? 'off');
    return {
      ...(c.alerts ? { alerts: toAlertPolicy(c.alerts) } : {}),
      ...(c.urls ? { urls: toUrlPolicy(c.urls) } : {}),
      ...(c.bake ? { bakeMs: parseDuration(c.bake)! } : {}),
      ...(c.approval ? { approval: toApprovalPolicy(c.approval) } : {}),
      ...(zeroDowntime ? { zeroDowntime } : {}),
      ...(c.webhook ? { webhook: toWebhookPolicy(c.webhook) } : {}),
    };
  };
  if (spec.alerts || spec.urls || spec.bake || spec.webhook) checks['*'] = policy(spec);
  for (const [stage, c] of Object.entries(spec.stageChecks)) checks[stage] = policy(c);
  const waves = wavesOfEntries(spec.stages);
  return {
    name: spec.name,
    pipeline: spec.pipeline,
    stages: waves.flat(),
    ...(waves.some((wave) => wave.length > 1) ? { waves } : {}),
    ...(spec.waves.trim().toLowerCase() !== 'all' ? { waveRule: spec.waves.trim().toLowerCase() } : {}),
    repo: spec.repo,
    branch: spec.branch,
    minAgeMs: parseDuration(spec.minAge)!,
    tickMs: parseDuration(spec.tick)!,
    ...(spec.webhookTick ? { webhookTickMs: parseDuration(spec.webhookTick)! } : {}),
    ...(windows.windows.length || windows.blackouts.length ? { windows } : {}),
    ...(spec.ignoreFreeze ? { ignoreFreeze: true } : {}),
    ...(spec.onFailure === 'pause' ? { onFailure: 'pause' as const } : {}),
    ...(spec.ci === false ? { ci: false } : {}),
    ...(incident ? { incident: toIncidentPolicy(incident) } : {}),
    ...(Object.keys(checks).length ? { checks } : {}),
    ...(access ? { access } : {}),
  };
}

/** `services[2].stages` from zod's ["services", 2, "stages"]. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)),
    '',
  );
}

export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${formatPath(issue.path) || '(file)'}: ${issue.message}`);
}
