import { z } from 'zod';
import { publicKeyProblem } from '../domain/attestation';
import type { AccessPolicy } from '../domain/role';

const member = z
  .string()
  .trim()
  .min(1, 'a member must not be empty')
  .refine((text) => !text.startsWith('group:') || text.length > 'group:'.length, {
    message: '"group:" must name a group',
  })
  .refine((text) => !text.startsWith('heroku:') || text === 'heroku:deployers', {
    message: 'the only Heroku member is "heroku:deployers"',
  });
const members = (description: string) =>
  z
    .array(member)
    .refine((names) => new Set(names.map((n) => n.toLowerCase())).size === names.length, {
      message: 'must not name a member twice',
    })
    .optional()
    .meta({ description, examples: [['ana@acme.com', 'group:sre'], ['*']] });

const signingKey = z.string().superRefine((key, ctx) => {
  const problem = publicKeyProblem(key);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Who may see and act: roles by email, group, "*" or "heroku:deployers"; whose signatures count. */
export const accessSpec = z
  .object({
    view: members('Who may see the service on the dashboard; absent: everyone.'),
    operate: members(
      'Who may pause, resume, promote by hand, retry, reject and unreject; absent: everyone signed in ("heroku:deployers" after a Heroku sign-in).',
    ),
    signingKeys: z
      .array(signingKey)
      .optional()
      .meta({
        description:
          "Public keys of the dashboards whose signed actions count as verified (conveyor signing-key prints a pair; the secret goes in the dashboard's CONVEYOR_SIGNING_KEY).",
        examples: [['q3B0n9cC3xWnq0pB8Ejz2u0pA6b1Z7Yy0rWq3vH5d2s']],
      }),
  })
  .strict()
  .meta({
    description: 'Who may view, operate and whose signatures make an action verified (docs/operating/access.md).',
    examples: [
      { operate: ['group:sre', 'ana@acme.com'], signingKeys: ['q3B0n9cC3xWnq0pB8Ejz2u0pA6b1Z7Yy0rWq3vH5d2s'] },
    ],
  });

export type AccessSpec = z.input<typeof accessSpec>;

/** A service's own roles replace the global ones, role by role; the signing keys are the global ones plus its own. */
export function toAccessPolicy(
  own: z.output<typeof accessSpec> | undefined,
  global: z.output<typeof accessSpec> | undefined,
): AccessPolicy | undefined {
  const view = own?.view ?? global?.view;
  const operate = own?.operate ?? global?.operate;
  const signingKeys = [...new Set([...(global?.signingKeys ?? []), ...(own?.signingKeys ?? [])])];
  if (!view && !operate && !signingKeys.length) return undefined;
  return {
    ...(view ? { view } : {}),
    ...(operate ? { operate } : {}),
    ...(signingKeys.length ? { signingKeys } : {}),
  };
}
