// `conveyor setup`: a Temporal namespace made ready for conveyor (its search attributes, all at once),
// and the tokens checked against what conveyor will ask of Heroku and GitHub.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { conveyorSearchAttributes } from '../temporal/search-attributes';
import { apiClients, apiEndpoints } from '../activities/api-clients';
import { budgetSettings } from '../config/budget-settings';
import { herokuDeployer } from '../activities/heroku/deployers';
import type { Service } from '../domain/service';

const { IndexedValueType } = proto.temporal.api.enums.v1;
const indexed: Record<string, proto.temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};
const typeName: Record<string, string> = { KEYWORD: 'Keyword', BOOL: 'Bool' };

/** Temporal Cloud's endpoints: API-key (regional) and mTLS (per namespace). */
export const isTemporalCloud = (address: string): boolean =>
  /\.(tmprl\.cloud|api\.temporal\.io)(:\d+)?$/i.test(address);

/** The tcld command that adds these search attributes to a Temporal Cloud namespace. */
export function tcldCommand(namespace: string, names: string[]): string {
  const keys = conveyorSearchAttributes.filter((key) => names.includes(key.name));
  return [
    `tcld namespace search-attributes add --namespace ${namespace}`,
    ...keys.map((key) => `--search-attribute "${key.name}=${typeName[key.type]}"`),
  ].join(' ');
}

export interface NamespaceSetup {
  namespace: string;
  /** Added by this run, in one call. */
  added: string[];
  /** There already. */
  present: string[];
  /** Still missing: with `check`, or where conveyor may not add them (Temporal Cloud). */
  missing: string[];
  /** What adds the missing ones on Temporal Cloud. */
  tcld?: string;
}

/**
 * Adds every missing conveyor search attribute to the namespace in one call (nothing when all are
 * there). On Temporal Cloud, where an API key may not add them, answers the tcld command instead.
 */
export async function prepareNamespace(
  client: Client,
  address: string,
  options: { check?: boolean } = {},
): Promise<NamespaceSetup> {
  const namespace = client.options.namespace;
  const operator = client.connection.operatorService;
  const listed = await operator.listSearchAttributes({ namespace });
  const known = { ...listed.customAttributes, ...listed.systemAttributes };
  const present = conveyorSearchAttributes.filter((key) => key.name in known).map((key) => key.name);
  const missing = conveyorSearchAttributes.filter((key) => !(key.name in known));
  const names = missing.map((key) => key.name);
  const result: NamespaceSetup = { namespace, added: [], present, missing: names };
  if (missing.length === 0) return result;
  const cloud = isTemporalCloud(address);
  if (options.check || cloud) return { ...result, ...(cloud ? { tcld: tcldCommand(namespace, names) } : {}) };
  try {
    await operator.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, indexed[key.type]])),
    });
  } catch (error) {
    // PERMISSION_DENIED, UNIMPLEMENTED: a managed service that wants its own tool.
    const code = (error as { code?: number }).code;
    if (code === 7 || code === 12) return { ...result, tcld: tcldCommand(namespace, names) };
    throw error;
  }
  return { ...result, added: names, missing: [] };
}

export interface TokenCheck {
  /** heroku or github. */
  api: 'heroku' | 'github';
  /** What was checked: the token itself, a pipeline, a repository. */
  subject: string;
  ok: boolean;
  /** What is missing, in words, when not ok. */
  problem?: string;
}

const statusOf = (error: unknown): number | undefined =>
  (error as { statusCode?: number; status?: number }).statusCode ?? (error as { status?: number }).status;

/**
 * What conveyor will ask of Heroku and GitHub, asked now with this environment's tokens: Heroku
 * accepts the token and shows each pipeline and its couplings (view), and its account may deploy to
 * every app conveyor promotes into (owner or collaborator of a personal app, deploy on a team app,
 * as Heroku lists them: promoting cannot be tried without promoting); GitHub shows each
 * repository's commits (Contents: read) and check runs (Checks: read). Nothing is written.
 */
export async function checkTokens(services: Service[], env: NodeJS.ProcessEnv = process.env): Promise<TokenCheck[]> {
  const clients = apiClients(apiEndpoints(env), { budgets: budgetSettings(env) });
  const checks: TokenCheck[] = [];
  const heroku = clients.heroku;
  try {
    await heroku.request({ method: 'GET', path: '/account/rate-limits' });
    checks.push({ api: 'heroku', subject: 'HEROKU_API_KEY', ok: true });
  } catch (error) {
    const status = statusOf(error);
    if (status !== 401 && status !== 403) throw error;
    checks.push({
      api: 'heroku',
      subject: 'HEROKU_API_KEY',
      ok: false,
      problem: `Heroku refused the token (${status}): it is wrong, expired or revoked (heroku authorizations:create makes one)`,
    });
    return checks;
  }
  for (const service of services) {
    const subject = `pipeline ${service.pipeline}`;
    try {
      const pipeline = (await heroku.request({
        method: 'GET',
        path: `/pipelines/${encodeURIComponent(service.pipeline)}`,
      })) as { id: string };
      await heroku.request({ method: 'GET', path: `/pipelines/${pipeline.id}/pipeline-couplings` });
      checks.push({ api: 'heroku', subject, ok: true });
      const account = (await heroku.request({ method: 'GET', path: '/account' })) as { id: string; email?: string };
      const verdict = await herokuDeployer(heroku, account, service.stages.slice(1));
      checks.push({
        api: 'heroku',
        subject: `promote ${service.pipeline}`,
        ok: verdict.deployer,
        ...(verdict.deployer
          ? {}
          : {
              problem: `the token's account may not promote: ${verdict.reason} (it needs deploy on a team app, or to own or collaborate on a personal one)`,
            }),
      });
    } catch (error) {
      const status = statusOf(error);
      if (status !== 403 && status !== 404) throw error;
      checks.push({
        api: 'heroku',
        subject,
        ok: false,
        problem: `the token's account cannot read it (${status}): it needs the view permission on the pipeline's apps (a member of their team, or their owner)`,
      });
    }
  }
  const github = clients.github;
  for (const repository of [...new Map(services.map((s) => [`${s.repo}@${s.branch}`, s])).values()]) {
    const [owner, repo] = repository.repo.split('/');
    const subject = `repository ${repository.repo}`;
    const ask = async (what: [string, string], run: () => Promise<unknown>): Promise<string | undefined> => {
      try {
        await run();
        return undefined;
      } catch (error) {
        const status = statusOf(error);
        if (status === 401) return `GitHub refused GITHUB_TOKEN (401): it is wrong, expired or revoked`;
        if (status === 403 || status === 404) return `the token cannot read its ${what[0]} (${status}): ${what[1]}`;
        throw error;
      }
    };
    const problem =
      (await ask(['commits', 'a fine-grained token needs Contents read, a classic one repo'], () =>
        github.request('GET /repos/{owner}/{repo}/commits/{ref}', { owner, repo, ref: repository.branch }),
      )) ??
      (await ask(['check runs', 'a fine-grained token needs Checks read, a classic one repo'], () =>
        github.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
          owner,
          repo,
          ref: repository.branch,
          per_page: 1,
        }),
      ));
    checks.push({ api: 'github', subject, ok: !problem, ...(problem ? { problem } : {}) });
  }
  return checks;
}
