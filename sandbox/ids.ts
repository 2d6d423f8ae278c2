import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** A new resource id: a random UUID, as Heroku's ids are (so `Range: id ..` orders them randomly, as there). */
export const newId = (): string => randomUUID();

export const isUuid = (text: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text);

/** A fresh 40-hex object name, as git's are (unique, not content-addressed). */
export const newSha = (): string => createHash('sha1').update(randomBytes(20)).digest('hex');

export const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** A timestamp as Heroku and GitHub write them: ISO 8601 in UTC, whole seconds ("2012-01-01T12:00:00Z"). */
export const timestamp = (at: number = Date.now()): string => new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
