// Runs the real `conveyor` binary (bin/conveyor.js) as a person or a script would, and answers what
// it printed and how it exited.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../temporal/paths';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout read as the one JSON document --json promises. */
  json<T = any>(): T;
}

export const BIN = join(projectRoot, 'bin', 'conveyor.js');

/** `conveyor ...args` with `env` (nothing of the test process leaks in but PATH and HOME), stdin closed: no terminal. */
export function conveyor(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: projectRoot,
        env: { PATH: process.env.PATH, HOME: env.HOME ?? process.env.HOME, GIT_CONFIG_NOSYSTEM: '1', ...env },
        timeout: 120_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({
          code,
          stdout,
          stderr,
          json() {
            try {
              return JSON.parse(stdout);
            } catch {
              throw new Error(`stdout is not one JSON document (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
            }
          },
        });
      },
    );
    child.stdin?.end();
  });
}

/** A file with `text` in a directory of its own, e.g. a services file. */
export function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'conveyor-cli-')), name);
  writeFileSync(path, text);
  return path;
}

/** The environment of a machine with no git identity and no CONVEYOR_USER. */
export function anonymousHome(): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'conveyor-home-'));
  return { HOME: home, GIT_CONFIG_GLOBAL: join(home, 'gitconfig') };
}
