import { z } from 'zod';
import { MAX_DURATION_MS, parseDuration } from '../domain/duration';
import type { Service, StagePolicy } from '../domain/service';
import type { WindowPolicy } from '../domain/window';
import { blackoutSpec, windowSpec } from './window-schema';
import { alertSpec, incidentSpec, toAlertPolicy, toIncidentPolicy, toUrlPolicy, urlSpec } from './health-schema';
import { approvalSpec, ciSpec, toApprovalPolicy, toWebhookPolicy, toZeroDowntimeMode, webhookSpec, zeroDowntimeSpec } from './checks-schema';

const duration = (what: string) =>
  z
    .string()
    .refine((text) => (parseDuration(text) ?? 0) > 0, { message: `${what} must be a duration such as "30m", "90s" or "1h30m"` })
    .refine((text) => (parseDuration(text) ?? 0) <= MAX_DURATION_MS, { message: `${what} must be at most "365d"` });

/** Alerts and URLs checked before a promotion into a stage. */
const checksSpec = z
  .object({
    alerts: alertSpec.optional(),
    urls: urlSpec.optional(),
    bake: duration('bake').optional(),
    approval: approvalSpec.optional(),
    zeroDowntime: zeroDowntimeSpec.optional(),
    webhook: webhookSpec.optional(),
  })
  .strict();

const appName = z.string().regex(/^[a-z][a-z0-9-]{1,29}$/, 'must be a Heroku app name (lowercase letters, digits and dashes)');

export const serviceSpec = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be letters, digits, ".", "_" or "-"'),
    pipeline: z.string().min(1, 'must name a Heroku pipeline (name or id)'),
    stages: z
      .array(appName)
      .min(2, 'needs at least 2 apps')
      .refine((apps) => new Set(apps).size === apps.length, { message: 'must not name an app twice' }),
    repo: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be a GitHub repository "owner/name"'),
    branch: z.string().min(1).default('main'),
    minAge: duration('minAge').default('30m'),
    tick: duration('tick').default('60s'),
    /** Replace the global windows for this service. */
    windows: z.array(windowSpec).optional(),
    /** Added to the global blackouts. */
    blackouts: z.array(blackoutSpec).default([]),
    ignoreFreeze: z.boolean().default(false),
    /** Replaces the global incident sources for this service. */
    incident: incidentSpec.optional(),
    /** Checked before a promotion into any stage. */
    alerts: alertSpec.optional(),
    urls: urlSpec.optional(),
    /** Per target stage (app name), replacing the service-wide alerts or urls for that stage. */
    stageChecks: z.record(z.string(), checksSpec).default({}),
    /** Bake time after every promotion (a stage's own bake replaces it). */
    bake: duration('bake').optional(),
    onFailure: z.enum(['rollback', 'pause'], { error: 'must be "rollback" or "pause"' }).default('rollback'),
    ci: ciSpec,
    /** Asked before every promotion (a stage's own webhook replaces it). */
    webhook: webhookSpec.optional(),
  })
  .strict()
  .superRefine((service, ctx) => {
    for (const stage of Object.keys(service.stageChecks)) {
      if (!service.stages.includes(stage)) ctx.addIssue({ code: 'custom', path: ['stageChecks', stage], message: `"${stage}" is not one of this service's stages` });
      else if (stage === service.stages[0]) ctx.addIssue({ code: 'custom', path: ['stageChecks', stage], message: `"${stage}" is the first stage: nothing is promoted into it` });
    }
  });

/** Settings every service inherits. */
export const globalSpec = z
  .object({
    windows: z.array(windowSpec).default([]),
    blackouts: z.array(blackoutSpec).default([]),
    incident: incidentSpec.optional(),
  })
  .strict();

export const servicesFile = z
  .object({ global: globalSpec.default({ windows: [], blackouts: [] }), services: z.array(serviceSpec).min(1, 'needs at least one service') })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.services.forEach((service, i) => {
      if (seen.has(service.name)) ctx.addIssue({ code: 'custom', path: ['services', i, 'name'], message: `"${service.name}" is used by two services` });
      seen.add(service.name);
    });
  });

export type ServiceSpec = z.input<typeof serviceSpec>;

export function toService(spec: z.output<typeof serviceSpec>, global: z.output<typeof globalSpec> = { windows: [], blackouts: [] }): Service {
  const windows: WindowPolicy = { windows: spec.windows ?? global.windows, blackouts: [...global.blackouts, ...spec.blackouts] };
  const incident = spec.incident ?? global.incident;
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
  return {
    name: spec.name,
    pipeline: spec.pipeline,
    stages: spec.stages,
    repo: spec.repo,
    branch: spec.branch,
    minAgeMs: parseDuration(spec.minAge)!,
    tickMs: parseDuration(spec.tick)!,
    ...(windows.windows.length || windows.blackouts.length ? { windows } : {}),
    ...(spec.ignoreFreeze ? { ignoreFreeze: true } : {}),
    ...(spec.onFailure === 'pause' ? { onFailure: 'pause' as const } : {}),
    ...(spec.ci === false ? { ci: false } : {}),
    ...(incident ? { incident: toIncidentPolicy(incident) } : {}),
    ...(Object.keys(checks).length ? { checks } : {}),
  };
}

/** `services[2].stages` from zod's ["services", 2, "stages"]. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
}

export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${formatPath(issue.path) || '(file)'}: ${issue.message}`);
}
