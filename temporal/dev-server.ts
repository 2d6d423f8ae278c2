import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { temporalBinary } from './binary';
import { stateDir } from './paths';
import { conveyorSearchAttributes } from './search-attributes';
import { devServerSettings } from './server-settings';

export interface DevServerOptions {
  /** host:port of the frontend; a server already answering there is reused. */
  address?: string;
  namespace?: string;
  /** Web UI port; the UI is off when `headless`. */
  uiPort?: number;
  headless?: boolean;
  /** SQLite file that keeps state across restarts; `null` keeps everything in memory. */
  dbFile?: string | null;
  /** false: a bare namespace, without conveyor's search attributes (what `conveyor setup` meets). */
  searchAttributes?: boolean;
  /** Extra `--dynamic-config-value KEY=VALUE` settings (conveyor's own are added unless set here: server-settings.ts). */
  dynamicConfig?: string[];
  log?: (line: string) => void;
  startupTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  namespace: string;
  /** Web UI address when this call started the server with a UI. */
  uiUrl?: string;
  /** False when an already-running server was reused. */
  started: boolean;
  /** Stops the server if this call started it; a reused server is left alone. */
  stop(): Promise<void>;
}

export const DEFAULT_ADDRESS = '127.0.0.1:7233';

const { IndexedValueType } = proto.temporal.api.enums.v1;
const indexedTypes: Record<string, proto.temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};
const cliTypes: Record<string, string> = { KEYWORD: 'Keyword', BOOL: 'Bool' };

/** Answers true when a Temporal frontend responds at `address`. */
export async function serverAnswers(address: string, timeoutMs = 1500): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** Registers conveyor's search attributes on a namespace; attributes that exist are left as they are. */
export async function registerSearchAttributes(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const known = { ...existing.customAttributes, ...existing.systemAttributes };
    const missing = conveyorSearchAttributes.filter((key) => !(key.name in known));
    if (missing.length === 0) return;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, indexedTypes[key.type]])),
    });
  } finally {
    await connection.close();
  }
}

function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const port = Number(address.slice(at + 1));
  if (at < 0 || !Number.isInteger(port)) throw new Error(`TEMPORAL_ADDRESS '${address}' is not host:port`);
  return { host: address.slice(0, at), port };
}

/**
 * Makes sure a Temporal dev server answers at `address`: reuses one that does, otherwise starts
 * `temporal server start-dev` on loopback and waits until its frontend answers.
 */
export async function ensureDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const address = options.address ?? process.env.TEMPORAL_ADDRESS ?? DEFAULT_ADDRESS;
  const namespace = options.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default';
  const log = options.log ?? ((line: string) => console.error(line));

  if (await serverAnswers(address)) {
    if (options.searchAttributes !== false) await registerSearchAttributes(address, namespace);
    return { address, namespace, started: false, stop: async () => undefined };
  }

  const { host, port } = splitAddress(address);
  if (host !== '127.0.0.1' && host !== 'localhost') {
    throw new Error(`No Temporal server answers at ${address}, and conveyor only starts one on 127.0.0.1`);
  }
  const binary = temporalBinary(log);
  const uiPort = options.uiPort ?? port + 1000;
  const dbFile = options.dbFile === undefined ? join(stateDir, 'temporal.db') : options.dbFile;
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
  ];
  if (options.headless) args.push('--headless');
  else args.push('--ui-ip', '127.0.0.1', '--ui-port', String(uiPort));
  if (dbFile) {
    mkdirSync(dirname(dbFile), { recursive: true });
    args.push('--db-filename', dbFile);
  }
  if (options.searchAttributes !== false)
    for (const key of conveyorSearchAttributes) args.push('--search-attribute', `${key.name}=${cliTypes[key.type]}`);
  for (const value of devServerSettings(options.dynamicConfig)) args.push('--dynamic-config-value', value);

  // A throw-away in-memory server (tests) logs to the temp folder, a kept one beside its database.
  const logDir = dbFile ? stateDir : tmpdir();
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `conveyor-temporal-${port}.log`);
  const logFd = openSync(logFile, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + (options.startupTimeoutMs ?? 60_000);
  while (!(await serverAnswers(address, 1000))) {
    if (gone) throw new Error(`temporal server start-dev exited during start-up; see ${logFile}`);
    if (Date.now() > deadline) {
      await stopChild(child, exited);
      throw new Error(`Temporal dev server did not answer at ${address} in time; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    address,
    namespace,
    uiUrl: options.headless ? undefined : `http://127.0.0.1:${uiPort}`,
    started: true,
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
