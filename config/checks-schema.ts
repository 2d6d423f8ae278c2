import { z } from 'zod';
import type { ApprovalPolicy } from '../domain/approval';
import { DEFAULT_WEBHOOK_SECRET_ENV, type WebhookPolicy, type ZeroDowntimeMode } from '../domain/checks';
import { parseDuration } from '../domain/duration';

/** A webhook asked longer than this would outlast the activity asking it. */
const MAX_WEBHOOK_TIMEOUT_MS = 60_000;

const httpUrl = z.url({
  protocol: /^https?$/,
  error: (issue) =>
    typeof issue.input === 'string' ? `"${issue.input}" is not an http(s) URL` : 'must be an http(s) URL',
});

export const approvalSpec = z
  .object({
    /** Empty or absent: anyone may approve. */
    approvers: z
      .array(z.string().trim().min(1, 'an approver must not be empty'))
      .refine((names) => new Set(names.map((n) => n.toLowerCase())).size === names.length, {
        message: 'must not name an approver twice',
      })
      .default([])
      .meta({
        description:
          'Who may approve: emails, "group:NAME" (groups the identity provider sends), "heroku:deployers" (people Heroku lets deploy to the stage app); empty: anyone signed in. Named approvers need a verified sign-in (docs/operating/access.md).',
        examples: [['ana@acme.com', 'group:release-managers'], ['heroku:deployers']],
      }),
  })
  .strict();

/** `true` is {mode: "block"}; `false` leaves the check off. */
export const zeroDowntimeSpec = z.union(
  [
    z.boolean(),
    z
      .object({
        mode: z
          .enum(['block', 'warn'], { error: 'must be "block" or "warn"' })
          .default('block')
          .meta({ description: 'block holds the promotion; warn lets it go with a warning.', examples: ['warn'] }),
      })
      .strict(),
  ],
  { error: 'must be true, false or {"mode": "block" | "warn"}' },
);

/** On unless turned off: a commit whose CI is red or running does not move. */
export const ciSpec = z.boolean({ error: 'must be true or false' }).default(true);

export const webhookSpec = z
  .object({
    url: httpUrl.meta({
      description: 'The endpoint; it must answer {"ok": true} to a signed POST.',
      examples: ['https://deploys.acme.com/check'],
    }),
    /** The name of the worker's environment variable holding the secret, never the secret itself. */
    secretEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable, such as CONVEYOR_WEBHOOK_SECRET')
      .default(DEFAULT_WEBHOOK_SECRET_ENV)
      .meta({
        description: "The name of the worker's environment variable holding the HMAC secret (never the secret).",
        examples: ['CONVEYOR_WEBHOOK_SECRET'],
      }),
    timeout: z
      .string()
      .refine((text) => (parseDuration(text) ?? 0) > 0, { message: 'must be a duration such as "10s" or "500ms"' })
      .refine((text) => (parseDuration(text) ?? 0) <= MAX_WEBHOOK_TIMEOUT_MS, { message: 'must be at most "60s"' })
      .default('10s')
      .meta({
        description: 'How long the endpoint may take, at most 60s; no answer in time holds.',
        examples: ['10s'],
      }),
  })
  .strict()
  .meta({ description: "The team's own check.", examples: [{ url: 'https://deploys.acme.com/check' }] });

export type ApprovalSpec = z.input<typeof approvalSpec>;
export type ZeroDowntimeSpec = z.input<typeof zeroDowntimeSpec>;
export type CiSpec = z.input<typeof ciSpec>;
export type WebhookSpec = z.input<typeof webhookSpec>;

export function toApprovalPolicy(spec: z.output<typeof approvalSpec>): ApprovalPolicy {
  return { approvers: spec.approvers };
}

/** The mode to check in; undefined when the check is off. */
export function toZeroDowntimeMode(spec: z.output<typeof zeroDowntimeSpec>): ZeroDowntimeMode | undefined {
  if (spec === false) return undefined;
  return spec === true ? 'block' : spec.mode;
}

export function toWebhookPolicy(spec: z.output<typeof webhookSpec>): WebhookPolicy {
  return { url: spec.url, secretEnv: spec.secretEnv, timeoutMs: parseDuration(spec.timeout)! };
}
