import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** The little HTTP the sandbox needs: a request read whole, a router on path templates, JSON replies. */

export interface ApiRequest {
  method: string;
  /** The path below the API's prefix, without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The raw body ("" when there is none). */
  body: string;
}

export interface Reply {
  status: number;
  /** Sent as JSON; no body when undefined. */
  body?: unknown;
  /** Sent as it is instead of `body` (an HTML page), with the Content-Type the headers give. */
  text?: string;
  headers?: Record<string, string>;
}

/** A reply thrown from deep inside a handler (not found, invalid input...). */
export class HttpError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

/** Throws `error`; for look-ups written as `find(x) ?? raise(notFound('app'))`. */
export function raise(error: Error): never {
  throw error;
}

export interface RoutedCall extends ApiRequest {
  /** The matched route's template, e.g. "/apps/{app}/releases". */
  template: string;
  params: Record<string, string>;
}

export type Handler = (call: RoutedCall) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  template: string;
  handler: Handler;
}

interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

/**
 * Routes on templates whose `{name}` matches one path segment and `{name+}` one or more (for git refs
 * such as "hotfix/1" sent unencoded). Parameters arrive percent-decoded.
 */
export class Router {
  private readonly routes: CompiledRoute[] = [];

  on(method: string, template: string, handler: Handler): this {
    const names: string[] = [];
    const source = template
      .replace(/[.*?^$()|[\]\\]/g, '\\$&')
      .replace(/\{(\w+)(\+?)\}/g, (_, name: string, many: string) => {
        names.push(name);
        return many ? '(.+)' : '([^/]+)';
      });
    this.routes.push({
      method,
      template: template.replace(/\+\}/g, '}'),
      handler,
      pattern: new RegExp(`^${source}$`),
      names,
    });
    return this;
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const found = route.pattern.exec(path);
      if (!found) continue;
      try {
        const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(found[i + 1])]));
        return { route, params };
      } catch {
        return undefined; // malformed percent-encoding: nothing by that name
      }
    }
    return undefined;
  }
}

const BODY_LIMIT = 1024 * 1024;

export async function readRequest(req: IncomingMessage, prefix: string): Promise<ApiRequest> {
  const url = new URL(req.url ?? '/', 'http://sandbox');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new HttpError({ status: 413, body: { message: 'request body too large' } });
    chunks.push(chunk);
  }
  return {
    method: req.method ?? 'GET',
    path: url.pathname.slice(prefix.length) || '/',
    query: url.searchParams,
    headers: req.headers,
    body: Buffer.concat(chunks).toString('utf8'),
  };
}

export function send(res: ServerResponse, reply: Reply): void {
  const text = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
  const headers: Record<string, string | number> = { ...reply.headers, 'Content-Length': Buffer.byteLength(text) };
  if (reply.body !== undefined && reply.text === undefined) headers['Content-Type'] = 'application/json; charset=utf-8';
  res.writeHead(reply.status, headers);
  res.end(text);
}

/** The body parsed as JSON; undefined for an empty body, `invalid` called for anything unparsable. */
export function jsonBody(call: ApiRequest, invalid: (message: string) => HttpError): unknown {
  if (call.body.trim() === '') return undefined;
  try {
    return JSON.parse(call.body);
  } catch {
    throw invalid('Request body is not valid JSON.');
  }
}
