// A real browser for the dashboard tests and the README screenshot: Debian's chromium, driven by
// playwright-core (which downloads no browser of its own). Installed with apt-get when missing, the
// way the Alertmanager tests install theirs.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_BINARY = '/usr/bin/chromium';
const PACKAGE = 'chromium';
const POLICY_RC_D = '/usr/sbin/policy-rc.d';
const APT_WAIT = ['-o', 'DPkg::Lock::Timeout=300'];

/** Flags for a quiet, self-contained headless run: no network of its own, no GPU, a fresh profile. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { timeout: timeoutMs, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 32 * 1024 * 1024 },
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

const tail = (text: string, lines = 15) => text.trim().split('\n').slice(-lines).join('\n');

async function installOnce(): Promise<void> {
  if (existsSync(CHROMIUM_BINARY)) return;
  const hint = `install it by hand: apt-get update && apt-get install -y --no-install-recommends ${PACKAGE}`;
  if (process.getuid?.() !== 0) throw new Error(`${CHROMIUM_BINARY} is missing and only root can install it; ${hint}`);
  const ownPolicy = !existsSync(POLICY_RC_D);
  if (ownPolicy)
    await writeFile(POLICY_RC_D, '#!/bin/sh\n# conveyor tests: keep packages from starting services\nexit 101\n', {
      mode: 0o755,
    });
  try {
    // Package lists first: a fresh machine has none, or old ones.
    const update = await run('apt-get', [...APT_WAIT, 'update'], 300_000);
    if (update.code !== 0)
      throw new Error(`apt-get update failed (exit ${update.code}); ${hint}\n${tail(update.output)}`);
    const result = await run('apt-get', [...APT_WAIT, 'install', '-y', '--no-install-recommends', PACKAGE], 900_000);
    if (result.code !== 0 || !existsSync(CHROMIUM_BINARY))
      throw new Error(`could not install ${PACKAGE} (apt-get exit ${result.code}); ${hint}\n${tail(result.output)}`);
  } finally {
    if (ownPolicy) await unlink(POLICY_RC_D).catch(() => undefined);
  }
}

let installing: Promise<void> | undefined;
/** One install per process; a failure is retried by the next ask. */
export function ensureChromium(): Promise<void> {
  installing ??= installOnce().catch((error: unknown) => {
    installing = undefined;
    throw error;
  });
  return installing;
}

export interface RunningBrowser {
  /** One browser with its own fresh profile (cookies, storage), removed on close. */
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless chromium with a fresh --user-data-dir (playwright's persistent context passes it). */
export async function launchChromium(viewport = { width: 1400, height: 900 }): Promise<RunningBrowser> {
  await ensureChromium();
  const profile = await mkdtemp(join(tmpdir(), 'conveyor-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_BINARY,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport,
    timeout: 60_000,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
