import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { projectRoot } from './paths';

/** v1.5.1 is the newest tag whose go.mod has no replace directive, so the newest that `go install` accepts. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export const toolsBin = join(projectRoot, '.tools', 'bin');

export class TemporalCliUnavailable extends Error {}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * Yields a `temporal` CLI binary: TEMPORAL_CLI if set, else `temporal` on PATH, else the copy built
 * into .tools/bin (built from the Go module proxy the first time; later runs reuse it).
 */
export function temporalBinary(log: (line: string) => void = (line) => console.error(line)): string {
  const configured = process.env.TEMPORAL_CLI;
  if (configured) {
    if (!isExecutable(configured))
      throw new TemporalCliUnavailable(`TEMPORAL_CLI=${configured} is not an executable file`);
    return configured;
  }
  const found = onPath('temporal');
  if (found) return found;
  const built = join(toolsBin, 'temporal');
  if (isExecutable(built)) return built;

  const go = onPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new TemporalCliUnavailable(
      'No Temporal CLI found and no Go toolchain to build one. Install Go (https://go.dev/dl) and rerun, ' +
        'or install the CLI (https://docs.temporal.io/cli) and set TEMPORAL_CLI=/path/to/temporal.',
    );
  }
  log(`Building the Temporal CLI (${TEMPORAL_CLI_MODULE}) into .tools/bin; first run only, a few minutes...`);
  const result = spawnSync(go, ['install', TEMPORAL_CLI_MODULE], {
    env: { ...process.env, GOBIN: toolsBin, GOFLAGS: process.env.GOFLAGS ?? '-mod=mod' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0 || !isExecutable(built)) {
    throw new TemporalCliUnavailable(
      `'go install ${TEMPORAL_CLI_MODULE}' failed (exit ${result.status ?? result.signal})`,
    );
  }
  log(`Temporal CLI ready: ${built}`);
  return built;
}
