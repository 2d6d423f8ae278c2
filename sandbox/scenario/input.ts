import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** What the scenario API takes, checked the same way in-process, over HTTP and from a scenario file. */

/** A scenario step that cannot be done as asked (unknown service, bad name...). */
export class ScenarioError extends Error {}

/** Heroku's own patterns (platform-api schema), so every name the sandbox answers with is valid there. */
const pipelineName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{2,29}$/, 'must be a Heroku pipeline name: 3-30 lowercase letters, digits and dashes');
const appName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,28}[a-z0-9]$/, 'must be a Heroku app name: 3-30 lowercase letters, digits and dashes');
const branchName = z
  .string()
  .regex(/^(?!\/)(?!.*\/\/)(?!.*\.\.)[A-Za-z0-9._/-]+(?<![/.])$/, 'must be a git branch name');

export const serviceInput = z
  .object({
    name: pipelineName,
    repo: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be a GitHub repository "owner/name"'),
    stages: z
      .array(appName)
      .min(2, 'needs at least 2 apps')
      .refine((apps) => new Set(apps).size === apps.length, { message: 'must not name an app twice' }),
    branch: branchName.default('main'),
    /** Heroku's platform generation of the pipeline and its apps: cedar (slugs) or fir (OCI images). */
    generation: z.enum(['cedar', 'fir'], { error: 'must be cedar or fir' }).default('cedar'),
  })
  .strict();

export const appInput = z
  .object({ name: appName, generation: z.enum(['cedar', 'fir'], { error: 'must be cedar or fir' }).default('cedar') })
  .strict();

export type ServiceInput = z.input<typeof serviceInput>;

export const scenarioFile = z.object({ services: z.array(serviceInput) }).strict();

export type ScenarioFile = z.input<typeof scenarioFile>;

const message = z.string().min(1).optional();

/** A process type's dyno count; null removes the type. */
const quantity = z
  .number()
  .int('must be a whole number of dynos')
  .min(0, 'must be 0 or more')
  .max(100, 'must be at most 100')
  .nullable();
const processType = z.string().regex(/^[-\w]{1,128}$/, 'must be a process type such as "web"');

export const formationInput = z
  .record(processType, quantity)
  .refine((quantities) => Object.keys(quantities).length > 0, {
    message: 'must scale at least one process type, e.g. {"web": 2}',
  });

export const conclusions = [
  'success',
  'failure',
  'neutral',
  'cancelled',
  'skipped',
  'timed_out',
  'action_required',
  'stale',
] as const;

const checkFields = {
  name: z.string().min(1, 'must name the check'),
  status: z.enum(['queued', 'in_progress', 'completed'], { error: 'must be queued, in_progress or completed' }),
  conclusion: z.enum(conclusions, { error: `must be one of ${conclusions.join(', ')}` }).optional(),
};

/** As GitHub has it: a completed run has a conclusion, a queued or running one none yet. */
const concluded = (check: { status: string; conclusion?: string }, ctx: z.RefinementCtx) => {
  if (check.status === 'completed' && !check.conclusion)
    ctx.addIssue({ code: 'custom', path: ['conclusion'], message: 'a completed check needs a conclusion' });
  if (check.status !== 'completed' && check.conclusion)
    ctx.addIssue({ code: 'custom', path: ['conclusion'], message: `a ${check.status} check has no conclusion yet` });
};

export const checkInput = z.object(checkFields).strict().superRefine(concluded);

const statusFields = {
  context: z.string().min(1, 'must name the context, e.g. "ci/circleci"'),
  state: z.enum(['pending', 'success', 'failure', 'error'], { error: 'must be pending, success, failure or error' }),
  description: z.string().optional(),
  targetUrl: z.url().optional(),
};

export const statusInput = z.object(statusFields).strict();

const handDeployFields = {
  artifact: z.enum(['tarball', 'image'], { error: 'must be tarball or image' }),
  description: z.string().min(1).max(500).optional(),
};

/** A release made by hand with no commit Heroku knows: from a tarball slug, or an OCI image. */
export const handDeployInput = z.object(handDeployFields).strict();

const commitRef = { repo: z.string(), commit: z.string().min(1) };

/** The bodies of POST /_sandbox/<method>. */
export const scenarioRequests = {
  createService: serviceInput,
  merge: z.object({ service: z.string(), message }).strict(),
  hotfix: z.object({ service: z.string(), app: z.string(), message }).strict(),
  pushBranch: z.object({ service: z.string(), branch: branchName, message }).strict(),
  handDeploy: z.object({ service: z.string(), app: z.string(), ...handDeployFields }).strict(),
  rebuild: z.object({ service: z.string(), app: z.string() }).strict(),
  createApp: appInput,
  expireRelease: z.object({ app: z.string(), version: z.number().int().positive() }).strict(),
  recreatePipeline: z.object({ service: z.string() }).strict(),
  setReleasePhase: z.object({ app: z.string(), fail: z.string().min(1).optional() }).strict(),
  releases: z.object({ app: z.string() }).strict(),
  promotions: z.object({}).strict(),
  setRateLimit: z
    .object({
      remaining: z.number().int().min(0).optional(),
      bucket: z.number().int().min(0).optional(),
      refillPerMinute: z.number().min(0).optional(),
    })
    .strict(),
  snapshot: z.object({}).strict(),
  load: scenarioFile,
  /** {app, web: 2, worker: null}: the app, then process types and their quantities. */
  setFormation: z.object({ app: z.string() }).catchall(quantity),
  setFeature: z.object({ app: z.string(), feature: z.string(), enabled: z.boolean() }).strict(),
  setCheck: z
    .object({ ...commitRef, ...checkFields })
    .strict()
    .superRefine(concluded),
  setStatus: z.object({ ...commitRef, ...statusFields }).strict(),
  addPerson: z.object({ email: z.string(), name: z.string().nullable().optional() }).strict(),
  registerOAuthClient: z.object({ name: z.string().min(1), redirectUri: z.string() }).strict(),
  moveAppToTeam: z.object({ app: z.string(), team: z.string().min(1) }).strict(),
  addCollaborator: z
    .object({
      app: z.string(),
      email: z.string(),
      permissions: z.array(z.string()).optional(),
      role: z.enum(['admin', 'member']).optional(),
    })
    .strict(),
};

/** `input` checked against `shape`; a ScenarioError names the first problem ("stages: needs at least 2 apps"). */
export function checked<T extends z.ZodType>(shape: T, input: unknown): z.output<T> {
  const parsed = shape.safeParse(input);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  throw new ScenarioError(`${issue.path.join('.') || 'input'}: ${issue.message}`);
}

/** A scenario file ({services:[{name, repo, stages, branch?, generation?}]}), checked. */
export function readScenarioFile(path: string): ScenarioFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ScenarioError(`${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`${path}: not JSON (${(error as Error).message})`);
  }
  try {
    return checked(scenarioFile, json);
  } catch (error) {
    throw new ScenarioError(`${path}: ${(error as Error).message}`);
  }
}

/** Three services of four stages each, as the demo and `conveyor sandbox` start with. */
export const EXAMPLE_SCENARIO: ScenarioFile = {
  services: ['api', 'router', 'billing'].map((name) => ({
    name,
    repo: `acme/${name}`,
    stages: ['qa01', 'st01', 'va01', 'eu01'].map((stage) => `${name}-${stage}`),
  })),
};
