import type Heroku from 'heroku-client';
import { ApplicationFailure } from '@temporalio/activity';
import type { ZeroDowntimeFacts } from '../domain/checks';
import { classify, jsonAnswer } from './errors';

interface HerokuFailure {
  statusCode?: number;
  body?: { id?: string; message?: string; resource?: string };
}

/** A 404 says which resource is missing: the app itself, or only the thing asked for. */
const missing = (error: unknown): string | undefined => {
  const e = error as HerokuFailure;
  return e.statusCode === 404 ? (e.body?.resource ?? 'resource') : undefined;
};

class AppUnreadable extends Error {}

/** Heroku's 3.sdk variant: the generation answer with `unsupported_features`. */
const SDK_ACCEPT = 'application/vnd.heroku+json; version=3.sdk';

/** Heroku adapter for the platform checks: how a stage's web process is run. */
export function platformActivities(heroku: Heroku) {
  // What a generation lacks does not change: asked once per generation, kept.
  const unsupported = new Map<string, readonly string[]>();

  /** The features Heroku says `generation` does not support (GET /generations/{name}, 3.sdk variant). */
  async function unsupportedFeatures(generation: string): Promise<readonly string[]> {
    const known = unsupported.get(generation);
    if (known) return known;
    const path = `/generations/${encodeURIComponent(generation)}`;
    let answer: { unsupported_features?: unknown };
    try {
      answer = jsonAnswer(
        'Heroku',
        `GET ${path}`,
        (await heroku.request({ method: 'GET', path, headers: { Accept: SDK_ACCEPT } })) as typeof answer,
      );
    } catch (error) {
      classify('Heroku', `GET ${path}`, error);
    }
    const features = answer.unsupported_features;
    if (!Array.isArray(features) || !features.every((f) => typeof f === 'string'))
      throw ApplicationFailure.retryable(
        `Heroku answered GET ${path} without unsupported_features (the 3.sdk variant)`,
        'HerokuUnavailable',
      );
    unsupported.set(generation, features);
    return features;
  }

  async function get<T>(path: string): Promise<T> {
    try {
      // Never heroku-client's `timeout`: it re-sends the request after rejecting (see NOTES).
      return jsonAnswer('Heroku', `GET ${path}`, (await heroku.request({ method: 'GET', path })) as T);
    } catch (error) {
      if (missing(error) === 'app')
        throw new AppUnreadable((error as HerokuFailure).body?.message ?? "Couldn't find that app.");
      throw error;
    }
  }

  /** 0 when the app has no web process type (Heroku's 404 for the formation, not the app). */
  async function webDynos(app: string): Promise<number> {
    try {
      return (await get<{ quantity: number }>(`/apps/${app}/formation/web`)).quantity;
    } catch (error) {
      if (missing(error) === 'formation') return 0;
      throw error;
    }
  }

  /**
   * The web dyno count and preboot of `app`. An app Heroku does not know is a fact with `error`
   * (the gate fails closed); other failures are thrown, classified, as every Heroku call is.
   */
  async function zeroDowntimeFacts(app: string, generation?: string): Promise<ZeroDowntimeFacts> {
    const name = encodeURIComponent(app);
    // Cedar's Common Runtime has preboot; another generation is asked what it lacks.
    if (generation && generation !== 'cedar' && (await unsupportedFeatures(generation)).includes('preboot')) {
      try {
        const web = await webDynos(name);
        if (typeof web !== 'number')
          throw ApplicationFailure.retryable(
            `Heroku answered the formation of ${app} without quantity`,
            'HerokuUnavailable',
          );
        return { app, webDynos: web, preboot: null, noPreboot: generation };
      } catch (error) {
        if (error instanceof AppUnreadable)
          return { app, webDynos: null, preboot: null, noPreboot: generation, error: `Heroku: ${error.message}` };
        classify('Heroku', `GET /apps/${name}/formation/web`, error);
      }
    }
    try {
      const [web, preboot] = await Promise.all([
        webDynos(name),
        get<{ enabled: boolean }>(`/apps/${name}/features/preboot`),
      ]);
      // A body of another shape is a broken answer, never "no dynos" or "preboot off".
      if (typeof web !== 'number' || typeof preboot.enabled !== 'boolean') {
        throw ApplicationFailure.retryable(
          `Heroku answered the formation or preboot of ${app} without quantity or enabled`,
          'HerokuUnavailable',
        );
      }
      return { app, webDynos: web, preboot: preboot.enabled };
    } catch (error) {
      if (error instanceof AppUnreadable)
        return { app, webDynos: null, preboot: null, error: `Heroku: ${error.message}` };
      classify('Heroku', `GET /apps/${name}/formation/web and /features/preboot`, error);
    }
  }

  return { zeroDowntimeFacts };
}
