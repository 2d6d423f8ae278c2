import type { Reply, RoutedCall } from './http';

export type ApiName = 'heroku' | 'github';

/**
 * The slot for fault injection. It sees every routed, authenticated, rate-limited API call just
 * before its handler and may answer instead (an error status, a delay, a broken body) or pass it on
 * with `next()`. The sandbox installs `passThrough`: faults per endpoint are a later addition, and
 * plug in here without touching the routes.
 */
export type FaultHook = (api: ApiName, call: RoutedCall, next: () => Promise<Reply>) => Promise<Reply>;

export const passThrough: FaultHook = (_api, _call, next) => next();
