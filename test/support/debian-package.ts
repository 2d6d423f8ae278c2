// Debian packages the tests run for real (Alertmanager, Prometheus, Chromium), installed with apt-get
// when their binary is missing, with their services kept from starting: the tests run their own
// instances on loopback ports.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';

/** Debian's hook that tells invoke-rc.d whether a package may start its service; 101 = no. */
const POLICY_RC_D = '/usr/sbin/policy-rc.d';
/** Another install in progress (CI's setup, a parallel test) holds dpkg's lock: wait for it rather than fail. */
const APT_WAIT = ['-o', 'DPkg::Lock::Timeout=300'];

export interface DebianPackage {
  /** The package's name in Debian. */
  name: string;
  /** The binary whose presence says it is installed. */
  binary: string;
  /** How long its install may take (a browser takes longer). */
  installMs?: number;
}

/** Runs a command; its exit code and output, never a throw. */
export function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { timeout: timeoutMs, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({
          code,
          output: `${stdout}${stderr}${error && typeof error.code !== 'number' ? `\n${error.message}` : ''}`,
        });
      },
    );
  });
}

export const tail = (text: string, lines = 15) => text.trim().split('\n').slice(-lines).join('\n');

async function installOnce({ name, binary, installMs = 300_000 }: DebianPackage): Promise<void> {
  if (existsSync(binary)) return;
  const hint = `install it by hand: apt-get update && apt-get install -y --no-install-recommends ${name}`;
  if (process.getuid?.() !== 0) throw new Error(`${binary} is missing and only root can install it; ${hint}`);
  // Only when no policy exists already: the machine's own policy is left as it is.
  const ownPolicy = !existsSync(POLICY_RC_D);
  if (ownPolicy)
    await writeFile(POLICY_RC_D, '#!/bin/sh\n# conveyor tests: keep packages from starting services\nexit 101\n', {
      mode: 0o755,
    });
  const install = () => run('apt-get', [...APT_WAIT, 'install', '-y', '--no-install-recommends', name], installMs);
  try {
    let result = await install();
    if (result.code !== 0) {
      // Usually stale or missing package lists (a fresh machine has none).
      const update = await run('apt-get', [...APT_WAIT, 'update'], 300_000);
      if (update.code !== 0)
        throw new Error(`apt-get update failed (exit ${update.code}); ${hint}\n${tail(update.output)}`);
      result = await install();
    }
    if (result.code !== 0 || !existsSync(binary))
      throw new Error(`could not install ${name} (apt-get exit ${result.code}); ${hint}\n${tail(result.output)}`);
  } finally {
    if (ownPolicy) await unlink(POLICY_RC_D).catch(() => undefined);
  }
}

/** One install per process, however many tests ask at once; a failure is retried by the next ask. */
export function debianPackage(pkg: DebianPackage): () => Promise<void> {
  let installing: Promise<void> | undefined;
  return () =>
    (installing ??= installOnce(pkg).catch((error: unknown) => {
      installing = undefined;
      throw error;
    }));
}
