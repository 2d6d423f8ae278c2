import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';

/** Debian's prometheus (and its promtool), installed when missing (as root, like the Alertmanager tests). */
export function prometheusBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
  const installed = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], {
    stdio: 'inherit',
    env,
  });
  if (installed.status !== 0)
    throw new Error("apt-get install prometheus failed (Debian's prometheus package is needed by this test)");
  return spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).stdout.trim() || 'prometheus';
}

export function promtoolBinary(): string {
  return join(dirname(prometheusBinary()), 'promtool');
}
