import { HttpError, jsonBody, type ApiRequest, type Reply } from '../http';
import type { Scenario } from './scenario';
import { checked, ScenarioError, scenarioRequests } from './input';

type Requests = typeof scenarioRequests;
type Method = keyof Requests;

/** Each scenario method called with its HTTP body, as the in-process API takes it. */
const invoke: { [M in Method]: (scenario: Scenario, body: ReturnType<Requests[M]['parse']>) => unknown } = {
  createService: (s, body) => s.createService(body),
  merge: (s, { service, message }) => s.merge(service, { message }),
  hotfix: (s, { service, app, message }) => s.hotfix(service, app, { message }),
  pushBranch: (s, { service, branch, message }) => s.pushBranch(service, branch, { message }),
  handDeploy: (s, { service, app, ...options }) => s.handDeploy(service, app, options),
  rebuild: (s, { service, app }) => s.rebuild(service, app),
  createApp: (s, { name, generation }) => s.createApp(name, generation),
  expireRelease: (s, { app, version }) => s.expireRelease(app, version),
  recreatePipeline: (s, { service }) => s.recreatePipeline(service),
  setReleasePhase: (s, { app, fail }) => s.setReleasePhase(app, { fail }),
  releases: (s, { app }) => s.releases(app),
  promotions: (s) => s.promotions(),
  setRateLimit: (s, body) => s.setRateLimit(body),
  snapshot: (s) => s.snapshot(),
  load: (s, body) => s.load(body),
  setFormation: (s, { app, ...quantities }) => s.setFormation(app, quantities),
  setFeature: (s, { app, feature, enabled }) => s.setFeature(app, feature, enabled),
  setCheck: (s, { repo, commit, ...check }) => s.setCheck(repo, commit, check),
  setStatus: (s, { repo, commit, ...status }) => s.setStatus(repo, commit, status),
  addPerson: (s, { email, name }) => s.addPerson(email, name ?? null),
  registerOAuthClient: (s, { name, redirectUri }) => s.registerOAuthClient(name, redirectUri),
  moveAppToTeam: (s, { app, team }) => s.moveAppToTeam(app, team),
  addCollaborator: (s, { app, email, ...options }) => s.addCollaborator(app, email, options),
};

const isMethod = (name: string): name is Method => Object.hasOwn(scenarioRequests, name);

const problem = (status: number, error: string): Reply => ({ status, body: { error } });

/**
 * The scenario API over HTTP, for the standalone sandbox and the demo: POST /_sandbox/<method> with
 * the method's arguments as a JSON object ({"service": "api", "message": "..."}), answering its
 * result as JSON ({} for methods that return nothing). No token needed.
 */
export function scenarioApi(scenario: Scenario): (request: ApiRequest) => Promise<Reply> {
  return async (request) => {
    const name = request.path.replace(/^\//, '');
    if (!isMethod(name))
      return problem(404, `no scenario method "${name}"; there are: ${Object.keys(scenarioRequests).join(', ')}`);
    if (request.method !== 'POST') return { ...problem(405, 'use POST'), headers: { Allow: 'POST' } };
    try {
      const body = jsonBody(request, (message) => new HttpError(problem(400, message))) ?? {};
      const run = invoke[name] as (scenario: Scenario, body: unknown) => unknown;
      const result = await run(scenario, checked(scenarioRequests[name], body));
      return { status: 200, body: result ?? {} };
    } catch (error) {
      if (error instanceof HttpError) return error.reply;
      if (error instanceof ScenarioError) return problem(400, error.message);
      throw error;
    }
  };
}
