// A real browser for the dashboard tests and the README screenshot: Debian's chromium, driven by
// playwright-core (which downloads no browser of its own). Installed with apt-get when missing, the
// way the Alertmanager tests install theirs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { debianPackage } from './debian-package';

export const CHROMIUM_BINARY = '/usr/bin/chromium';
const PACKAGE = 'chromium';

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

/** One install per process, however many tests ask at once. */
export const ensureChromium = debianPackage({ name: PACKAGE, binary: CHROMIUM_BINARY, installMs: 900_000 });

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
