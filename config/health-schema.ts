import { z } from 'zod';
import { parseDuration } from '../domain/duration';
import { impacts, type AlertPolicy, type IncidentPolicy, type UrlPolicy } from '../domain/health';

const httpUrl = z.url({
  protocol: /^https?$/,
  error: (issue) =>
    typeof issue.input === 'string' ? `"${issue.input}" is not an http(s) URL` : 'must be an http(s) URL',
});

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

export const incidentSpec = z
  .object({ herokuStatus: herokuStatusSpec.optional(), statuspage: statuspageSpec.optional() })
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
  })
  .strict()
  .meta({
    description: 'Prometheus Alertmanager: active, unsilenced, uninhibited alerts hold.',
    examples: [{ url: 'http://alertmanager:9093', matchers: { service: 'api' } }],
  });

export const alertSpec = z
  .object({ librato: libratoSpec.optional(), alertmanager: alertmanagerSpec.optional() })
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
  };
}

export function toAlertPolicy(spec: z.output<typeof alertSpec>): AlertPolicy {
  return {
    ...(spec.librato ? { librato: { url: spec.librato.url, alertIds: spec.librato.alertIds } } : {}),
    ...(spec.alertmanager
      ? { alertmanager: { url: spec.alertmanager.url, matchers: spec.alertmanager.matchers } }
      : {}),
  };
}

export function toUrlPolicy(spec: z.output<typeof urlSpec>): UrlPolicy {
  return { urls: spec.urls, timeoutMs: parseDuration(spec.timeout)!, followRedirects: spec.followRedirects };
}
