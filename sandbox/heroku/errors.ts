import { HttpError, type Reply } from '../http';

/** Heroku's error bodies: `{id, message}`, plus `resource` for not_found. */

export const herokuError = (
  status: number,
  id: string,
  message: string,
  extra: Record<string, string> = {},
): Reply => ({
  status,
  body: { id, message, ...extra },
});

/** "Couldn't find that app." — `resource` as Heroku names it (app, pipeline, release, slug, ...). */
export const notFound = (resource: string): HttpError =>
  new HttpError(herokuError(404, 'not_found', `Couldn't find that ${resource.replace(/[-_]/g, ' ')}.`, { resource }));

export const badRequest = (message: string): HttpError => new HttpError(herokuError(400, 'bad_request', message));

export const conflict = (message: string): HttpError => new HttpError(herokuError(409, 'conflict', message));

export const invalidParams = (message: string): HttpError => new HttpError(herokuError(422, 'invalid_params', message));

export const UNAUTHORIZED = herokuError(401, 'unauthorized', 'Invalid credentials provided.');

/** A person's token whose scopes do not reach this endpoint (scope `identity` reads only the account). */
export const INSUFFICIENT_SCOPE = herokuError(
  403,
  'forbidden',
  'This token does not have the scope this request needs.',
);

export const RATE_LIMITED = herokuError(
  429,
  'rate_limit',
  'Your account reached the API rate limit\nPlease wait a few minutes before making new requests',
);

export const NO_SUCH_ENDPOINT = herokuError(
  404,
  'not_found',
  'The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), and did you specify your intended version with the `Accept` header?',
);
