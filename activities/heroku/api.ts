import type Heroku from 'heroku-client';
import { classify, jsonAnswer } from '../errors';
import type { HerokuPost } from '../heroku-post';
import type { ReleaseStatus } from '../../domain/observation';

/** The parts of Heroku's release object conveyor reads. */
export interface HerokuRelease {
  id: string;
  version: number;
  status: ReleaseStatus;
  current: boolean;
  slug: { id: string } | null;
  /** The slug (Cedar) or OCI image (Fir) it runs; read with readArtifact. */
  artifacts?: { type: string; id: string }[];
  app: { id: string; name: string };
  description?: string;
  created_at: string;
  updated_at?: string;
}

export interface HerokuCoupling {
  id: string;
  app: { id: string };
  stage: string;
}

export interface PromotionTarget {
  app: { id: string };
  release: { id: string } | null;
  status: 'pending' | 'succeeded' | 'failed';
  error_message: string | null;
}

/** One Platform API call: answers its JSON, or throws a typed ApplicationFailure (see ../errors.ts). */
export type HerokuCall = <T>(
  method: 'GET' | 'POST',
  path: string,
  extra?: { body?: unknown; range?: string },
) => Promise<T>;

/** A Range header asking for the `max` newest releases, one page only. */
export const newestFirst = (max: number) => `version ..; max=${max}, order=desc`;

/**
 * Calls through heroku-client; POSTs through `post` when given (it sends them at most once).
 * `range` asks for one page only (heroku-client would otherwise follow Next-Range to the end).
 */
export function herokuCall(heroku: Heroku, post?: HerokuPost): HerokuCall {
  return async function call<T>(
    method: 'GET' | 'POST',
    path: string,
    extra: { body?: unknown; range?: string } = {},
  ): Promise<T> {
    try {
      // Never heroku-client's `timeout`: it re-sends the request after rejecting (see NOTES).
      if (method === 'POST' && post)
        return jsonAnswer('Heroku', `${method} ${path}`, (await post(path, extra.body)) as T);
      const page = extra.range ? { headers: { Range: extra.range }, partial: true } : {};
      return jsonAnswer(
        'Heroku',
        `${method} ${path}`,
        (await heroku.request({ method, path, body: extra.body, ...page })) as T,
      );
    } catch (error) {
      classify('Heroku', `${method} ${path}`, error);
    }
  };
}
