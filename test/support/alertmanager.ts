// A real Prometheus Alertmanager for tests: Debian's package, run as our own process on a free
// loopback port with clustering off, never the package's service on the default ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../temporal/free-port';
import { debianPackage, tail } from './debian-package';

export const ALERTMANAGER_BINARY = '/usr/bin/prometheus-alertmanager';
const PACKAGE = 'prometheus-alertmanager';

export interface Alertmanager {
  url: string;
  postAlert(labels: Record<string, string>, opts?: { endsAt?: string }): Promise<void>;
  /** Resolves the alert with these labels: posts it again, ended a second ago. */
  resolve(labels: Record<string, string>): Promise<void>;
  /** Silences alerts matching all these labels for an hour; answers the silence's id. */
  silence(matchers: Record<string, string>): Promise<string>;
  stop(): Promise<void>;
}

/** One install per process, however many tests ask at once. */
export const ensureAlertmanager = debianPackage({ name: PACKAGE, binary: ALERTMANAGER_BINARY });

// Alerts go nowhere: the tests read them back through the API.
const CONFIG = `route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n`;

async function expectOk(response: Response, what: string): Promise<void> {
  if (!response.ok) throw new Error(`Alertmanager answered ${response.status} to ${what}: ${await response.text()}`);
}

/** Starts a process on a free port and waits until /-/ready answers; throws with its log if it does not. */
async function launch(dir: string): Promise<{ url: string; child: ChildProcess; log: () => string }> {
  const url = `http://127.0.0.1:${await freePort()}`;
  const args = [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=${url.slice('http://'.length)}`,
    '--cluster.listen-address=',
  ];
  const child = spawn(ALERTMANAGER_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-20_000));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited (${signal ?? code})`));
  child.once('error', (error) => (exited = `could not start: ${error.message}`));

  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !exited) {
    try {
      if ((await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) })).ok)
        return { url, child, log: () => output };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(
    `Alertmanager ${exited ?? 'not ready within 20s'} at ${url} (${ALERTMANAGER_BINARY} ${args.join(' ')})\n${tail(output)}`,
  );
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startAlertmanager(): Promise<Alertmanager> {
  await ensureAlertmanager();
  const dir = await mkdtemp(join(tmpdir(), 'conveyor-alertmanager-'));
  await writeFile(join(dir, 'alertmanager.yml'), CONFIG);
  let started: Awaited<ReturnType<typeof launch>> | undefined;
  // A free port can be taken between asking and binding: try another.
  for (let attempt = 1; !started; attempt++) {
    try {
      started = await launch(dir);
    } catch (error) {
      if (attempt === 3) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  const { url, child } = started;
  // Should the test process die without stop(), the Alertmanager dies with it.
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);

  async function post(path: string, body: unknown): Promise<Response> {
    return fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  async function postAlert(labels: Record<string, string>, opts: { endsAt?: string } = {}): Promise<void> {
    const alert = {
      labels,
      annotations: { summary: `test alert ${labels.alertname ?? ''}`.trim() },
      ...(opts.endsAt ? { endsAt: opts.endsAt } : {}),
    };
    await expectOk(await post('/api/v2/alerts', [alert]), `POST /api/v2/alerts ${JSON.stringify(labels)}`);
  }

  return {
    url,
    postAlert,
    async resolve(labels) {
      await postAlert(labels, { endsAt: new Date(Date.now() - 1_000).toISOString() });
    },
    async silence(matchers) {
      const now = Date.now();
      const response = await post('/api/v2/silences', {
        matchers: Object.entries(matchers).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
        createdBy: 'conveyor tests',
        comment: 'silenced by a test',
      });
      await expectOk(response, `POST /api/v2/silences ${JSON.stringify(matchers)}`);
      return ((await response.json()) as { silenceID: string }).silenceID;
    },
    async stop() {
      process.off('exit', orphan);
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
