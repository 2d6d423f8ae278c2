/** How long one promotion or rollback POST may take before it is abandoned (its effect is then unknown). */
export const HEROKU_POST_TIMEOUT_MS = 60_000;

/**
 * Sends one POST to the Platform API and answers its JSON, or throws {statusCode, body} like
 * heroku-client; activities/api-clients.ts makes it (herokuPoster) and the activities use it.
 */
export type HerokuPost = (path: string, body: unknown) => Promise<unknown>;
