import { z } from 'zod';
import { parseDuration } from '../domain/duration';
import {
  datadogStates,
  impacts,
  urgencies,
  type AlertPolicy,
  type IncidentPolicy,
  type UrlPolicy,
} from '../domain/health';

const httpUrl = z.url({
  protocol: /^https?$/,
  error: (issue) =>
    typeof issue.input === 'string' ? `"${issue.input}" is not an http(s) URL` : 'must be an http(s) URL',
});

const onUnreachable = z
  .enum(['hold', 'pass'], { error: 'must be "hold" or "pass"' })
  .default('hold')
  .meta({
    description:
      'What the gate does when the source does not answer (no connection, a timeout, 5xx, 429): hold (the default) or pass with a warning. A missing or refused key always holds.',
    examples: ['pass'],
  });

const envVariable = (what: string, example: string) =>
  z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, `must be the name of an environment variable, such as ${example}`)
    .meta({ description: `The name of the worker's environment variable holding ${what} (never the secret).` });

/** The name of an environment variable of the worker: secrets never sit in the file. */
const envName = (fallback: string, what: string) =>
  envVariable(what, fallback)
    .default(fallback)
    .meta({ examples: [fallback] });
const optionalEnvName = (what: string) =>
  envVariable(what, 'PROMETHEUS_TOKEN')
    .optional()
    .meta({ examples: ['PROMETHEUS_TOKEN'] });

const names = (what: string) => z.array(z.string().trim().min(1, `${what} must not be empty`)).default([]);

const herokuStatusSpec = z
  .object({
    url: httpUrl
      .default('https://status.heroku.com')
      .meta({ description: 'The Heroku status API.', examples: ['https://status.heroku.com'] }),
    /** Empty: any non-green system holds. */
    systems: names('a system name').meta({
      description: 'Systems that hold promotions when not green; empty: any.',
      examples: [['Apps', 'Data']],
    }),
  })
  .strict()
  .meta({ description: 'The Heroku status page.', examples: [{ systems: ['Apps'] }] });

const statuspageSpec = z
  .object({
    url: httpUrl.meta({ description: 'The Statuspage page URL.', examples: ['https://status.acme.com'] }),
    minImpact: z
      .enum(impacts, { error: `must be one of ${impacts.join(', ')}` })
      .default('minor')
      .meta({ description: 'The least impact of an open incident that holds promotions.', examples: ['major'] }),
    /** Component names or ids; empty: all. */
    components: names('a component').meta({
      description: 'Component names or ids an incident must touch to hold; empty: all.',
      examples: [['API']],
    }),
  })
  .strict()
  .meta({
    description: 'An Atlassian Statuspage.',
    examples: [{ url: 'https://status.acme.com', minImpact: 'major', components: ['API'] }],
  });

const pagerdutySpec = z
  .object({
    url: httpUrl
      .default('https://api.pagerduty.com')
      .meta({ description: 'The PagerDuty REST API.', examples: ['https://api.pagerduty.com'] }),
    services: z
      .array(z.string().regex(/^[A-Z0-9]{2,}$/, 'must be a PagerDuty service id such as PIJ90N7'))
      .min(1, 'needs at least one PagerDuty service id')
      .meta({ description: 'PagerDuty service ids whose open incidents hold.', examples: [['PIJ90N7']] }),
    minUrgency: z
      .enum(urgencies, { error: `must be one of ${urgencies.join(', ')}` })
      .default('low')
      .meta({ description: 'The least urgency of an open incident that holds.', examples: ['high'] }),
    stages: names('a stage').meta({
      description: 'Target stages (app names) whose promotions it holds; empty: every stage.',
      examples: [['api-eu01']],
    }),
    tokenEnv: envName('PAGERDUTY_TOKEN', 'the REST API key'),
    onUnreachable,
  })
  .strict()
  .meta({
    description: 'PagerDuty: triggered or acknowledged incidents on the services hold (PAGERDUTY_TOKEN in the worker).',
    examples: [{ services: ['PIJ90N7'], minUrgency: 'high', stages: ['api-eu01'] }],
  });

export const incidentSpec = z
  .object({
    herokuStatus: herokuStatusSpec.optional(),
    statuspage: statuspageSpec.optional(),
    pagerduty: pagerdutySpec.optional(),
  })
  .strict()
  .meta({
    description: 'Open incidents hold promotions.',
    examples: [
      { herokuStatus: { systems: ['Apps'] }, statuspage: { url: 'https://status.acme.com', minImpact: 'major' } },
    ],
  });

const alertId = z
  .union([z.string(), z.number()], { error: 'must be a Librato alert id such as 123456' })
  .refine((id) => /^[1-9]\d*$/.test(String(id)), {
    error: (issue) => `"${String(issue.input)}" is not a Librato alert id (a number such as 123456)`,
  })
  .transform(String);

const libratoSpec = z
  .object({
    url: httpUrl
      .default('https://metrics-api.librato.com')
      .meta({ description: 'The Librato API.', examples: ['https://metrics-api.librato.com'] }),
    /** Librato's ids are numbers; either form is accepted. Empty: every alert of the account. */
    alertIds: z
      .array(alertId)
      .default([])
      .meta({ description: 'Librato alert ids; empty: every alert of the account.', examples: [[123456]] }),
  })
  .strict()
  .meta({
    description: 'Librato alerts (LIBRATO_EMAIL and LIBRATO_TOKEN in the worker).',
    examples: [{ alertIds: [123456] }],
  });

const LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** name="value" (quotes escaped with \) or name=value; only equality: the gate compares labels exactly. */
const MATCHER = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s=!~][^"\s]*))\s*$/;

/** `service="api"` -> ["service", "api"]; undefined when it is not an equality matcher. */
export function parseMatcher(text: string): [string, string] | undefined {
  const match = MATCHER.exec(text);
  if (!match) return undefined;
  return [match[1], match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]];
}

const matchers = z
  .union([z.record(z.string(), z.string()), z.array(z.string())], {
    error: 'must be labels {"service": "api"} or matchers ["service=\\"api\\""]',
  })
  .transform((value, ctx) => {
    const found: Record<string, string> = {};
    const entries = Array.isArray(value)
      ? value.map((text, i) => [text, parseMatcher(text), i] as const)
      : Object.entries(value).map(([k, v]) => [k, [k, v] as [string, string], k] as const);
    for (const [text, parsed, at] of entries) {
      if (!parsed)
        ctx.addIssue({
          code: 'custom',
          path: [at],
          input: text,
          message: `'${text}' is not a matcher name="value" (only = is supported)`,
        });
      else if (!LABEL.test(parsed[0]))
        ctx.addIssue({ code: 'custom', path: [at], input: text, message: `"${parsed[0]}" is not a label name` });
      else if (parsed[0] in found && found[parsed[0]] !== parsed[1])
        ctx.addIssue({ code: 'custom', path: [at], input: text, message: `label "${parsed[0]}" is matched twice` });
      else found[parsed[0]] = parsed[1];
    }
    return found;
  });

const alertmanagerSpec = z
  .object({
    url: httpUrl.meta({ description: 'The Alertmanager base URL.', examples: ['http://alertmanager:9093'] }),
    matchers: matchers.default({}).meta({
      description: 'Labels an alert must carry to hold, as labels or as name="value" matchers.',
      examples: [{ service: 'api' }, ['service="api"']],
    }),
    tokenEnv: optionalEnvName('a bearer token, when the Alertmanager needs one'),
    onUnreachable,
  })
  .strict()
  .meta({
    description: 'Prometheus Alertmanager: active, unsilenced, uninhibited alerts hold.',
    examples: [{ url: 'http://alertmanager:9093', matchers: { service: 'api' } }],
  });

const grafanaSpec = z
  .object({
    url: httpUrl.meta({ description: "Grafana's base URL.", examples: ['https://acme.grafana.net'] }),
    matchers: matchers.default({}).meta({
      description: 'Labels a Grafana-managed alert must carry to hold, as labels or as name="value" matchers.',
      examples: [{ service: 'api' }],
    }),
    tokenEnv: envName('GRAFANA_TOKEN', 'a service account token (Viewer role is enough)'),
    onUnreachable,
  })
  .strict()
  .meta({
    description:
      "Grafana-managed alerts, read through Grafana's Alertmanager-compatible API: firing, unsilenced alerts hold (GRAFANA_TOKEN in the worker).",
    examples: [{ url: 'https://acme.grafana.net', matchers: { service: 'api' } }],
  });

const promQuerySpec = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .optional()
      .meta({ description: 'How the check is named in reasons; the query when absent.', examples: ['error rate'] }),
    query: z
      .string()
      .trim()
      .min(1, 'needs a PromQL expression')
      .meta({
        description:
          'PromQL evaluated at decision time and while a release bakes; any series it answers holds. ${stage} stands for the target stage.',
        examples: [
          'sum(rate(http_requests_total{app="${stage}",status=~"5.."}[5m])) / sum(rate(http_requests_total{app="${stage}"}[5m])) > 0.01',
        ],
      }),
    above: z
      .number({ error: 'must be a number' })
      .optional()
      .meta({ description: 'Only series whose value is above this hold.', examples: [0.01] }),
  })
  .strict();

const prometheusSpec = z
  .object({
    url: httpUrl.meta({
      description: 'The Prometheus server (or any server of its HTTP query API).',
      examples: ['http://prometheus:9090'],
    }),
    queries: z
      .array(promQuerySpec)
      .min(1, 'needs at least one query')
      .meta({
        description: 'PromQL checks; each holds while it answers a series (above its threshold, when given).',
        examples: [[{ name: 'error rate', query: 'job:errors:ratio5m{app="${stage}"}', above: 0.01 }]],
      }),
    tokenEnv: optionalEnvName('a bearer token, when the server needs one'),
    onUnreachable,
  })
  .strict()
  .meta({
    description: 'Prometheus queries evaluated at decision time and as verification while a release bakes.',
    examples: [{ url: 'http://prometheus:9090', queries: [{ query: 'job:errors:ratio5m{app="${stage}"} > 0.01' }] }],
  });

const datadogSpec = z
  .object({
    site: z
      .string()
      .regex(/^[a-z0-9.-]+\.[a-z]+$/, 'must be a Datadog site such as datadoghq.com or datadoghq.eu')
      .optional()
      .meta({
        description: "The Datadog site; DD_SITE of the worker's environment, else datadoghq.com.",
        examples: ['datadoghq.eu'],
      }),
    url: httpUrl.optional().meta({
      description: 'The API base, when it is not https://api.<site> (a proxy).',
      examples: ['https://api.datadoghq.eu'],
    }),
    tags: names('a tag').meta({
      description: 'Monitor tags a monitor must all carry to count (monitor_tags).',
      examples: [['service:api', 'env:prod']],
    }),
    ids: z
      .array(z.number({ error: 'must be a Datadog monitor id such as 123456' }).int().positive())
      .default([])
      .meta({ description: 'Monitor ids that count, besides those the tags find.', examples: [[123456]] }),
    states: z
      .array(z.enum(datadogStates, { error: `must be one of ${datadogStates.join(', ')}` }))
      .min(1, 'needs at least one state')
      .default(['Alert'])
      .meta({ description: 'Monitor states that hold.', examples: [['Alert', 'Warn', 'No Data']] }),
    apiKeyEnv: envName('DD_API_KEY', 'the API key'),
    appKeyEnv: envName('DD_APPLICATION_KEY', 'the application key (monitors_read)'),
    onUnreachable,
  })
  .strict()
  .refine((spec) => spec.tags.length > 0 || spec.ids.length > 0, { message: 'needs tags or ids to find monitors by' })
  .meta({
    description:
      'Datadog monitors: those in Alert (or the states named) hold (DD_API_KEY and DD_APPLICATION_KEY in the worker).',
    examples: [{ tags: ['service:api', 'env:prod'], states: ['Alert', 'Warn'] }],
  });

const newRelicSpec = z
  .object({
    url: httpUrl.default('https://api.newrelic.com/graphql').meta({
      description: 'The NerdGraph endpoint; https://api.eu.newrelic.com/graphql for EU accounts.',
      examples: ['https://api.eu.newrelic.com/graphql'],
    }),
    accountId: z
      .number({ error: 'must be a New Relic account id such as 1234567' })
      .int()
      .positive()
      .meta({ description: 'The account whose issues count.', examples: [1234567] }),
    policyIds: z
      .array(z.number({ error: 'must be an alert policy id such as 987654' }).int().positive())
      .default([])
      .meta({ description: 'Alert policies whose active issues hold; empty: any.', examples: [[987654]] }),
    entityGuids: names('an entity guid').meta({
      description: 'Entities whose active issues hold; empty: any.',
      examples: [['MXxBUE18QVBQTElDQVRJT058MTIz']],
    }),
    apiKeyEnv: envName('NEW_RELIC_API_KEY', 'a User API key'),
    onUnreachable,
  })
  .strict()
  .meta({
    description:
      'New Relic: active issues for the policies or entities hold, read through NerdGraph (NEW_RELIC_API_KEY in the worker).',
    examples: [{ accountId: 1234567, policyIds: [987654] }],
  });

export const alertSpec = z
  .object({
    librato: libratoSpec.optional(),
    alertmanager: alertmanagerSpec.optional(),
    grafana: grafanaSpec.optional(),
    prometheus: prometheusSpec.optional(),
    datadog: datadogSpec.optional(),
    newRelic: newRelicSpec.optional(),
  })
  .strict()
  .meta({
    description: 'A firing alert holds promotions.',
    examples: [{ alertmanager: { url: 'http://alertmanager:9093', matchers: { service: 'api' } } }],
  });

export const urlSpec = z
  .object({
    urls: z
      .array(httpUrl)
      .min(1, 'needs at least one URL')
      .refine((urls) => new Set(urls).size === urls.length, { message: 'must not name a URL twice' })
      .meta({ description: 'URLs that must answer 200.', examples: [['https://api.acme.com/health']] }),
    timeout: z
      .string()
      .refine((text) => (parseDuration(text) ?? 0) > 0, { message: 'must be a duration such as "5s" or "500ms"' })
      .refine((text) => (parseDuration(text) ?? 0) <= 60_000, { message: 'must be at most "60s"' })
      .default('5s')
      .meta({ description: 'How long each URL may take to answer.', examples: ['5s', '500ms'] }),
    followRedirects: z
      .boolean()
      .default(false)
      .meta({ description: 'Follow redirects instead of counting them as not 200.', examples: [true] }),
  })
  .strict()
  .meta({ description: 'Health URLs.', examples: [{ urls: ['https://api.acme.com/health'], timeout: '5s' }] });

export type IncidentSpec = z.input<typeof incidentSpec>;
export type AlertSpec = z.input<typeof alertSpec>;
export type UrlSpec = z.input<typeof urlSpec>;

// Converters leave out sources that are not configured: an empty policy means "not checked".
// A failure mode is written only when it is "pass": policies made before it read the same.

const mode = (value: 'hold' | 'pass') => (value === 'pass' ? { onUnreachable: 'pass' as const } : {});

export function toIncidentPolicy(spec: z.output<typeof incidentSpec>): IncidentPolicy {
  return {
    ...(spec.herokuStatus ? { herokuStatus: { url: spec.herokuStatus.url, systems: spec.herokuStatus.systems } } : {}),
    ...(spec.statuspage
      ? {
          statuspage: {
            url: spec.statuspage.url,
            minImpact: spec.statuspage.minImpact,
            components: spec.statuspage.components,
          },
        }
      : {}),
    ...(spec.pagerduty
      ? {
          pagerduty: {
            url: spec.pagerduty.url,
            serviceIds: spec.pagerduty.services,
            minUrgency: spec.pagerduty.minUrgency,
            stages: spec.pagerduty.stages,
            tokenEnv: spec.pagerduty.tokenEnv,
            ...mode(spec.pagerduty.onUnreachable),
          },
        }
      : {}),
  };
}

export function toAlertPolicy(spec: z.output<typeof alertSpec>): AlertPolicy {
  return {
    ...(spec.librato ? { librato: { url: spec.librato.url, alertIds: spec.librato.alertIds } } : {}),
    ...(spec.alertmanager
      ? {
          alertmanager: {
            url: spec.alertmanager.url,
            matchers: spec.alertmanager.matchers,
            ...(spec.alertmanager.tokenEnv ? { tokenEnv: spec.alertmanager.tokenEnv } : {}),
            ...mode(spec.alertmanager.onUnreachable),
          },
        }
      : {}),
    ...(spec.grafana
      ? {
          grafana: {
            url: spec.grafana.url,
            matchers: spec.grafana.matchers,
            tokenEnv: spec.grafana.tokenEnv,
            ...mode(spec.grafana.onUnreachable),
          },
        }
      : {}),
    ...(spec.prometheus
      ? {
          prometheus: {
            url: spec.prometheus.url,
            queries: spec.prometheus.queries.map((q) => ({
              ...(q.name ? { name: q.name } : {}),
              query: q.query,
              ...(q.above !== undefined ? { above: q.above } : {}),
            })),
            ...(spec.prometheus.tokenEnv ? { tokenEnv: spec.prometheus.tokenEnv } : {}),
            ...mode(spec.prometheus.onUnreachable),
          },
        }
      : {}),
    ...(spec.datadog
      ? {
          datadog: {
            ...(spec.datadog.url ? { url: spec.datadog.url } : {}),
            ...(spec.datadog.site ? { site: spec.datadog.site } : {}),
            tags: spec.datadog.tags,
            ids: spec.datadog.ids,
            states: spec.datadog.states,
            apiKeyEnv: spec.datadog.apiKeyEnv,
            appKeyEnv: spec.datadog.appKeyEnv,
            ...mode(spec.datadog.onUnreachable),
          },
        }
      : {}),
    ...(spec.newRelic
      ? {
          newRelic: {
            url: spec.newRelic.url,
            accountId: spec.newRelic.accountId,
            policyIds: spec.newRelic.policyIds,
            entityGuids: spec.newRelic.entityGuids,
            apiKeyEnv: spec.newRelic.apiKeyEnv,
            ...mode(spec.newRelic.onUnreachable),
          },
        }
      : {}),
  };
}

export function toUrlPolicy(spec: z.output<typeof urlSpec>): UrlPolicy {
  return { urls: spec.urls, timeoutMs: parseDuration(spec.timeout)!, followRedirects: spec.followRedirects };
}
