import { ApplicationFailure } from '@temporalio/activity';
import { artifactKind, readArtifact } from '../../domain/artifact';
import { newestFirst, type HerokuCall, type HerokuRelease } from './api';

/**
 * Puts a release's slug or image back on an app (Heroku's rollback). Idempotent: when the app's
 * newest release already runs that artifact, the earlier attempt's rollback is answered instead.
 * A refusal is final (never retried); when the release expired, the failure says so.
 */
export function herokuRollback(call: HerokuCall) {
  return async function rollback(request: {
    app: string;
    releaseId: string;
    artifactId: string | null;
    version?: number;
  }): Promise<{ version: number }> {
    const app = encodeURIComponent(request.app);
    const [newest] = await call<HerokuRelease[]>('GET', `/apps/${app}/releases`, { range: newestFirst(1) });
    const done =
      newest &&
      newest.status !== 'failed' &&
      (request.artifactId
        ? readArtifact(newest)?.id === request.artifactId
        : request.version !== undefined && newest.description === `Rollback to v${request.version}`);
    if (done) return { version: newest.version };
    try {
      const created = await call<HerokuRelease>('POST', `/apps/${app}/releases`, {
        body: { release: request.releaseId },
      });
      return { version: created.version };
    } catch (error) {
      if (!(error instanceof ApplicationFailure) || error.type !== 'HerokuRejected') throw error;
      const to = await call<HerokuRelease>('GET', `/apps/${app}/releases/${request.releaseId}`).catch(() => null);
      if (to?.status === 'expired')
        throw ApplicationFailure.nonRetryable(
          `v${to.version} expired on ${request.app}: Heroku deleted its ${artifactKind(readArtifact(to))}, so it cannot be rolled back to`,
          'ReleaseExpired',
        );
      throw error;
    }
  };
}
