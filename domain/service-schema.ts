import { IANAZone } from 'luxon';
import { z } from 'zod';
import { MAX_DURATION_MS, formatDuration } from './duration';
import type { Service } from './service';
import { impacts } from './health';
import { weekdays } from './window';
import { publicKeyProblem } from './attestation';
import { waveProblems, waveRuleProblem } from './wave';

/**
 * A Service as it travels to a running workflow (the `configure` signal, the `reconfigure` update,
 * the `preview` query): the resolved form `toService` makes of the services file, durations in
 * milliseconds. The services file's schema ends in this one, so both refuse the same things; a
 * hand-sent message that does not fit is refused with a reason and never reaches the workflow state.
 */
export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const APP_NAME = /^[a-z][a-z0-9-]{1,29}$/;
export const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

const ms = (what: string, max = MAX_DURATION_MS) =>
  z
    .number({ error: `${what} must be a number of milliseconds` })
    .int(`${what} must be a whole number of milliseconds`)
    .positive(`${what} must be more than 0`)
    .max(max, `${what} must be at most ${formatDuration(max)}`);
/** minAge may be 0: no soak at all, as the services file allows ("0s"). */
const soakMs = z
  .number({ error: 'minAgeMs must be a number of milliseconds' })
  .int('minAgeMs must be a whole number of milliseconds')
  .nonnegative('minAgeMs must not be negative')
  .max(MAX_DURATION_MS, `minAgeMs must be at most ${formatDuration(MAX_DURATION_MS)}`);

// A pattern, not z.url(): the workflow sandbox must parse this the same way on every replay.
const url = z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL');
const strings = z.array(z.string());
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be "HH:MM"');
const zone = z
  .string()
  .refine((name) => IANAZone.isValidZone(name), { message: 'must be an IANA time zone such as "Europe/Berlin"' });

const windowShape = z
  .object({
    days: z.array(z.enum(weekdays)).min(1, 'needs at least one day'),
    start: clock,
    end: clock,
    timeZone: zone,
  })
  .strict();
const blackoutShape = z
  .object({ from: z.string().min(10), to: z.string().min(10), reason: z.string(), timeZone: zone.optional() })
  .strict();

const alertShape = z
  .object({
    librato: z.object({ url, alertIds: strings }).strict().optional(),
    alertmanager: z
      .object({ url, matchers: z.record(z.string(), z.string()) })
      .strict()
      .optional(),
  })
  .strict();
const urlShape = z
  .object({ urls: z.array(url), timeoutMs: ms('timeoutMs', 60_000), followRedirects: z.boolean() })
  .strict();
const webhookShape = z
  .object({
    url,
    secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must name an environment variable'),
    timeoutMs: ms('timeoutMs', 60_000),
  })
  .strict();
const stagePolicyShape = z
  .object({
    alerts: alertShape.optional(),
    urls: urlShape.optional(),
    bakeMs: ms('bakeMs').optional(),
    approval: z.object({ approvers: strings }).strict().optional(),
    zeroDowntime: z.enum(['block', 'warn', 'off']).optional(),
    webhook: webhookShape.optional(),
  })
  .strict();
const incidentShape = z
  .object({
    herokuStatus: z.object({ url, systems: strings }).strict().optional(),
    statuspage: z
      .object({ url, minImpact: z.enum(impacts), components: strings })
      .strict()
      .optional(),
  })
  .strict();

const member = z.string().trim().min(1, 'a member must not be empty');
const accessShape = z
  .object({
    view: z.array(member).optional(),
    operate: z.array(member).optional(),
    signingKeys: z
      .array(
        z.string().refine((key) => publicKeyProblem(key) === undefined, { message: 'must be an Ed25519 public key' }),
      )
      .optional(),
  })
  .strict();

export const serviceSchema = z
  .object({
    name: z.string().regex(SERVICE_NAME, 'must be letters, digits, ".", "_" or "-"'),
    pipeline: z.string().min(1, 'must name a Heroku pipeline (name or id)'),
    stages: z
      .array(z.string().regex(APP_NAME, 'must be a Heroku app name'))
      .min(2, 'needs at least 2 apps')
      .refine((apps) => new Set(apps).size === apps.length, { message: 'must not name an app twice' }),
    waves: z.array(z.array(z.string().regex(APP_NAME, 'must be a Heroku app name'))).optional(),
    waveRule: z.string().optional(),
    repo: z.string().regex(REPO, 'must be a GitHub repository "owner/name"'),
    branch: z.string().min(1, 'must name a branch'),
    minAgeMs: soakMs,
    tickMs: ms('tickMs').min(1_000, 'tickMs must be at least 1000 (1s)'),
    webhookTickMs: ms('webhookTickMs').min(1_000, 'webhookTickMs must be at least 1000 (1s)').optional(),
    windows: z
      .object({ windows: z.array(windowShape), blackouts: z.array(blackoutShape) })
      .strict()
      .optional(),
    incident: incidentShape.optional(),
    checks: z.record(z.string(), stagePolicyShape).optional(),
    ignoreFreeze: z.boolean({ error: 'ignoreFreeze must be true or false' }).optional(),
    onFailure: z.enum(['rollback', 'pause'], { error: 'onFailure must be "rollback" or "pause"' }).optional(),
    ci: z.boolean({ error: 'ci must be true or false' }).optional(),
    access: accessShape.optional(),
  })
  .strict()
  .superRefine((service, ctx) => {
    if (service.waves) {
      for (const problem of waveProblems(service.waves))
        ctx.addIssue({ code: 'custom', path: ['waves', ...problem.path], message: problem.message });
      if (service.waves.flat().join(',') !== service.stages.join(','))
        ctx.addIssue({
          code: 'custom',
          path: ['waves'],
          message: 'must hold the stages, in their order, and nothing else',
        });
    }
    const ruleProblem = service.waveRule === undefined ? undefined : waveRuleProblem(service.waveRule);
    if (ruleProblem) ctx.addIssue({ code: 'custom', path: ['waveRule'], message: ruleProblem });
    for (const stage of Object.keys(service.checks ?? {})) {
      if (stage !== '*' && !service.stages.includes(stage))
        ctx.addIssue({
          code: 'custom',
          path: ['checks', stage],
          message: `"${stage}" is not one of this service's stages`,
        });
    }
  });

/** Checks a Service sent to a running workflow; answers the problems in one line when it does not fit. */
export function checkService(
  input: unknown,
  expectedName?: string,
): { ok: true; service: Service } | { ok: false; problem: string } {
  const parsed = serviceSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.map(String).join('.') || '(configuration)'}: ${issue.message}`,
    );
    return { ok: false, problem: problems.join('; ') };
  }
  if (expectedName !== undefined && parsed.data.name !== expectedName)
    return { ok: false, problem: `configuration is for "${parsed.data.name}", not "${expectedName}"` };
  return { ok: true, service: parsed.data };
}
