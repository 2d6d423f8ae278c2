// Where `conveyor web` listens and which names it answers, from the environment (Heroku sets PORT and DYNO).
import { SettingsError } from '../config/settings-error';

export interface WebSettings {
  host: string;
  port: number;
  /** The names the router forwards as Host (the app's herokuapp.com name, custom domains); loopback names always. */
  hostnames: string[];
  /** CONVEYOR_METRICS_TOKEN: /metrics answers only a request bearing it; off without one. */
  metricsToken?: string;
  /** X-Forwarded-Proto is believed (Secure cookies): on a dyno, or CONVEYOR_TRUST_PROXY=1. */
  trustProxy: boolean;
}

export interface WebFlags {
  host?: string;
  port?: string;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

const truthy = (value: string | undefined) => value === '1' || value === 'true';

/**
 * On a dyno (DYNO set) the web process listens on all interfaces, since Heroku's router does not
 * reach 127.0.0.1; elsewhere on loopback unless told (--host, CONVEYOR_WEB_HOST). Listening beyond
 * loopback, it must be told the names it answers to (CONVEYOR_HOSTNAMES), or any Host would do.
 */
export function webSettings(env: NodeJS.ProcessEnv = process.env, flags: WebFlags = {}): WebSettings {
  const onDyno = Boolean(env.DYNO);
  const host = flags.host ?? (env.CONVEYOR_WEB_HOST || (onDyno ? '0.0.0.0' : '127.0.0.1'));
  const portText = flags.port ?? (env.PORT || '8234');
  const port = Number(portText);
  if (!/^\d+$/.test(portText.trim()) || port > 65_535)
    throw new SettingsError(
      `${flags.port !== undefined ? '--port' : 'PORT'} '${portText}' is not a port number (0 to 65535)`,
    );
  const listed = (env.CONVEYOR_HOSTNAMES ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  // Heroku's dyno metadata (labs:enable runtime-dyno-metadata) names the app's default domain.
  const named = listed.length ? listed : env.HEROKU_APP_DEFAULT_DOMAIN_NAME ? [env.HEROKU_APP_DEFAULT_DOMAIN_NAME] : [];
  const wrong = named.find((name) => !HOSTNAME.test(name));
  if (wrong)
    throw new SettingsError(
      `CONVEYOR_HOSTNAMES: '${wrong}' is not a host name (a comma-separated list, e.g. my-conveyor-1a2b3c4d5e6f.herokuapp.com,conveyor.example.com)`,
    );
  if (!LOOPBACK.includes(host) && named.length === 0)
    throw new SettingsError(
      `CONVEYOR_HOSTNAMES must name this app's host names when listening on ${host} (e.g. my-conveyor-1a2b3c4d5e6f.herokuapp.com, as heroku domains shows): every other Host is refused`,
    );
  return {
    host,
    port,
    hostnames: named,
    ...(env.CONVEYOR_METRICS_TOKEN ? { metricsToken: env.CONVEYOR_METRICS_TOKEN } : {}),
    trustProxy: onDyno || truthy(env.CONVEYOR_TRUST_PROXY),
  };
}
