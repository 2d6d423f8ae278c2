import type { FaultHook } from '../faults/faults';
import { INSUFFICIENT_SCOPE, NO_SUCH_ENDPOINT, RATE_LIMITED, UNAUTHORIZED, herokuError } from './errors';
import { RATE_LIMITS_ROUTE, herokuRoutes } from './routes';
import { HttpError, type ApiRequest, type Reply, type RoutedCall } from '../http';
import { herokuToken } from '../auth';
import { newId } from '../ids';
import type { Platform } from './platform';
import type { RateLimiter } from './rate-limit';

export interface HerokuApiOptions {
  platform: Platform;
  /** The one API token the sandbox accepts. */
  token: string;
  limiter: RateLimiter;
  faults: FaultHook;
  /** Counts one request to an endpoint ("GET /apps/{app}/releases") as it arrives (the request itself for `onRequest` listeners). */
  count(endpoint: string, request: ApiRequest): void;
  /** Told the status of every answer (429 included), for `answerCounts()`. */
  answered?(status: number): void;
}

/** Unauthenticated calls share one bucket, as Heroku limits them apart from any account. */
const ANONYMOUS = '';

/**
 * The Heroku Platform API as conveyor meets it: every request is counted, takes a token from its
 * rate-limit bucket (429 when empty; GET /account/rate-limits takes none), is authenticated (401),
 * then answered. Every answer carries `RateLimit-Remaining`.
 */
export function herokuApi(options: HerokuApiOptions): (request: ApiRequest) => Promise<Reply> {
  const { people } = options.platform;
  const ownToken = (call: ApiRequest) => herokuToken(call.headers.authorization) === options.token;
  /** A person's token from the OAuth flow (its own rate-limit pool, as each account has one). */
  const personal = (call: ApiRequest) => people.tokenOwner(herokuToken(call.headers.authorization));
  const authenticated = (call: ApiRequest) => ownToken(call) || personal(call) !== undefined;
  const bucketOf = (call: ApiRequest) =>
    options.limiter.bucket(ownToken(call) ? options.token : (personal(call)?.person.id ?? ANONYMOUS));
  const router = herokuRoutes(options.platform, (call) => bucketOf(call).remaining());

  return async (request) => {
    const matched = router.match(request.method, request.path);
    options.count(`${request.method} ${matched?.route.template ?? '(no such endpoint)'}`, request);

    const bucket = bucketOf(request);
    const free = authenticated(request) && matched?.route.template === RATE_LIMITS_ROUTE;
    let reply: Reply;
    if (!free && !bucket.take()) reply = RATE_LIMITED;
    else if (!authenticated(request)) reply = UNAUTHORIZED;
    else if (!matched) reply = NO_SUCH_ENDPOINT;
    else if (
      !ownToken(request) &&
      !personal(request)!.scope.includes('global') &&
      !allowedByScope(request, matched.route.template)
    )
      reply = INSUFFICIENT_SCOPE;
    else {
      const call: RoutedCall = { ...request, template: matched.route.template, params: matched.params };
      try {
        reply = await options.faults('heroku', call, async () => matched.route.handler(call));
      } catch (error) {
        reply = error instanceof HttpError ? error.reply : internalError(error);
      }
    }
    options.answered?.(reply.status);
    return {
      ...reply,
      headers: { ...reply.headers, 'RateLimit-Remaining': String(bucket.remaining()), 'Request-Id': newId() },
    };
  };
}

/** Scope `identity` reads the account and nothing else. */
function allowedByScope(request: ApiRequest, template: string): boolean {
  return request.method === 'GET' && (template === '/account' || template === RATE_LIMITS_ROUTE);
}

function internalError(error: unknown): Reply {
  console.error('[sandbox] Heroku handler failed:', error);
  return herokuError(500, 'internal_server_error', 'Internal server error.');
}
