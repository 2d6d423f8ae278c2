import { z } from 'zod';
import type { AlertFacts, AlertPolicy, FiringAlert } from '../../domain/health';
import { secretFrom, type Exchange, type HealthHttp } from '../health-http';

/** Open issues of one account, narrowed by policy and entity, a page at a time (NerdGraph's aiIssues). */
export const ISSUES_QUERY = `query($accountId: Int!, $filter: AiIssuesFilterIssues, $timeWindow: TimeWindowInput, $cursor: String) {
  actor {
    account(id: $accountId) {
      aiIssues {
        issues(filter: $filter, timeWindow: $timeWindow, cursor: $cursor) {
          nextCursor
          issues { issueId title priority state activatedAt }
        }
      }
    }
  }
}`;

const answer = z.object({
  data: z
    .object({
      actor: z
        .object({
          account: z
            .object({
              aiIssues: z.object({
                issues: z.object({
                  nextCursor: z.string().nullish(),
                  issues: z
                    .array(
                      z.object({
                        issueId: z.string(),
                        title: z.union([z.array(z.string()), z.string()]).nullish(),
                        priority: z.string().nullish(),
                        state: z.string(),
                        activatedAt: z.number().nullish(),
                      }),
                    )
                    .nullish(),
                }),
              }),
            })
            .nullable(),
        })
        .nullable(),
    })
    .nullish(),
  errors: z.array(z.object({ message: z.string() })).optional(),
});

type Account = NonNullable<NonNullable<NonNullable<z.output<typeof answer>['data']>['actor']>['account']>;
type Issue = NonNullable<Account['aiIssues']['issues']['issues']>[number];

const MAX_PAGES = 5;
/** Issues opened this long ago and still active count; NerdGraph searches a window, not all time. */
const WINDOW_MS = 30 * 24 * 3_600_000;

const explain = (body: unknown) => {
  const parsed = z.object({ errors: z.array(z.object({ message: z.string() })) }).safeParse(body);
  return parsed.success ? parsed.data.errors.map((e) => e.message).join('; ') : undefined;
};

/** New Relic's active issues for given policies or entities, through NerdGraph (GraphQL). */
export function newRelicSource(http: HealthHttp, env: NodeJS.ProcessEnv, now: () => number = Date.now) {
  return async function newRelic(policy: NonNullable<AlertPolicy['newRelic']>): Promise<AlertFacts> {
    const { url, accountId, policyIds, entityGuids, apiKeyEnv, onUnreachable } = policy;
    const base = { source: 'new-relic' as const, firing: [], ...(onUnreachable === 'pass' ? { onUnreachable } : {}) };
    const key = secretFrom(env, apiKeyEnv);
    if (!key.ok) return { ...base, error: key.error };
    const filter = {
      states: ['ACTIVATED'],
      ...(policyIds.length ? { policyIds } : {}),
      ...(entityGuids.length ? { entityGuids } : {}),
    };
    // The window is rounded to the minute, so identical asks in one pass are one request.
    const end = Math.ceil(now() / 60_000) * 60_000;
    const timeWindow = { startTime: end - WINDOW_MS, endTime: end };
    const firing: FiringAlert[] = [];
    let cursor: string | null | undefined = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const read: Exchange<z.output<typeof answer>> = await http.json(
        {
          source: 'new-relic',
          method: 'POST',
          url,
          headers: { 'api-key': key.value, 'nerd-graph-unsafe-experimental-opt-in': 'AiIssues' },
          body: { query: ISSUES_QUERY, variables: { accountId, filter, timeWindow, cursor } },
          secrets: [key.value],
          explain,
        },
        answer,
      );
      if (!read.ok) return { ...base, error: read.error, ...(read.unreachable ? { unreachable: true } : {}) };
      // GraphQL answers 200 with errors: a bad key, an account the key cannot see.
      if (read.value.errors?.length)
        return { ...base, error: `NerdGraph answered: ${read.value.errors.map((e) => e.message).join('; ')}` };
      const account: Account | null | undefined = read.value.data?.actor?.account;
      if (!account) return { ...base, error: `NerdGraph knows no account ${accountId} for this key` };
      const { issues, nextCursor }: { issues?: Issue[] | null; nextCursor?: string | null } = account.aiIssues.issues;
      for (const issue of issues ?? []) {
        if (issue.state !== 'ACTIVATED') continue;
        const title = Array.isArray(issue.title) ? issue.title.join(', ') : (issue.title ?? `issue ${issue.issueId}`);
        firing.push({
          id: issue.issueId,
          name: `${issue.priority ? `${issue.priority} ` : ''}'${title}' (${issue.issueId})`,
          ...(issue.activatedAt ? { since: new Date(issue.activatedAt).toISOString() } : {}),
        });
      }
      cursor = nextCursor;
      if (!cursor) break;
    }
    return { ...base, firing };
  };
}
