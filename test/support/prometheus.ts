// A real Prometheus for tests: Debian's package, run as our own process on a free loopback port
// (never the package's service), scraping a tiny exporter the test controls every second.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../temporal/free-port';
import { debianPackage, tail } from './debian-package';

export const PROMETHEUS_BINARY = '/usr/bin/prometheus';
const PACKAGE = 'prometheus';

export interface Prometheus {
  url: string;
  /** Sets a gauge the exporter serves: `name{labels} value`. */
  set(name: string, labels: Record<string, string>, value: number): void;
  /** Stops serving a series: Prometheus marks it stale at the next scrape. */
  drop(name: string, labels: Record<string, string>): void;
  /** Answers once an instant query returns what `done` wants (the next scrape has landed). */
  until(query: string, done: (series: number) => boolean): Promise<void>;
  stop(): Promise<void>;
}

/** One install per process, however many tests ask at once. */
export const ensurePrometheus = debianPackage({ name: PACKAGE, binary: PROMETHEUS_BINARY });

const seriesKey = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k].replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`)
    .join(',')}}`;

/** The exporter Prometheus scrapes: gauges in the text exposition format. */
async function startExporter(): Promise<{ url: string; series: Map<string, number>; server: Server }> {
  const series = new Map<string, number>();
  const server = createServer((req, res) => {
    const body = [...series].map(([key, value]) => `${key} ${value}`).join('\n');
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${body}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `127.0.0.1:${(server.address() as AddressInfo).port}`, series, server };
}

async function launch(dir: string, target: string): Promise<{ url: string; child: ChildProcess }> {
  const address = `127.0.0.1:${await freePort()}`;
  await writeFile(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['${target}']\n`,
  );
  const args = [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=${address}`,
  ];
  const child = spawn(PROMETHEUS_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-20_000));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited (${signal ?? code})`));
  child.once('error', (error) => (exited = `could not start: ${error.message}`));
  const url = `http://${address}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !exited) {
    try {
      if ((await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) })).ok) return { url, child };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`Prometheus ${exited ?? 'not ready within 30s'} at ${url}\n${tail(output)}`);
}

export async function startPrometheus(): Promise<Prometheus> {
  await ensurePrometheus();
  const dir = await mkdtemp(join(tmpdir(), 'conveyor-prometheus-'));
  const exporter = await startExporter();
  let started: Awaited<ReturnType<typeof launch>> | undefined;
  for (let attempt = 1; !started; attempt++) {
    try {
      started = await launch(dir, exporter.url);
    } catch (error) {
      if (attempt === 3) {
        exporter.server.close();
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  const { url, child } = started;
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  return {
    url,
    set: (name, labels, value) => exporter.series.set(seriesKey(name, labels), value),
    drop: (name, labels) => exporter.series.delete(seriesKey(name, labels)),
    async until(query, done) {
      const deadline = Date.now() + 20_000;
      let last = '';
      while (Date.now() < deadline) {
        const answer = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query })}`);
        const body = (await answer.json()) as { data?: { result?: unknown[] } };
        last = JSON.stringify(body);
        if (done(body.data?.result?.length ?? 0)) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`Prometheus never answered as wanted to ${query}; last: ${last}`);
    },
    async stop() {
      process.off('exit', orphan);
      if (child.exitCode === null && child.signalCode === null)
        await new Promise<void>((resolve) => {
          const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        });
      exporter.server.closeAllConnections();
      await new Promise<void>((resolve) => exporter.server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
