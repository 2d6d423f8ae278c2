import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { UsageError } from './errors';

/**
 * The folder a tool is told to write to, made if missing, checked writable before any work starts:
 * a run that takes minutes must not fail at its end on a path it could have refused at once.
 */
export function writableFolder(dir: string, what: string): string {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new UsageError(`${what}: cannot write to ${dir} (${(error as Error).message})`);
  }
  return dir;
}
