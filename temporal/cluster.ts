// A self-hosted Temporal on PostgreSQL, for real, on this machine: PostgreSQL from Debian's packages in
// a private data directory on a loopback port, the Temporal server and temporal-sql-tool built with Go
// from the module proxy (cached in .tools/bin), both databases created and migrated with the tool, the
// server started from a config file, the namespace and search attributes made with the `temporal` CLI.
// docker-compose.yml runs the same steps with Temporal's images (test/deploy/compose.test.ts checks it).
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  chownSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { serverSettingsFile } from './server-settings';
import { Connection } from '@temporalio/client';
import { temporalBinary, toolsBin } from './binary';
import { freePort } from './free-port';
import { conveyorSearchAttributes } from './search-attributes';

const run = promisify(execFile);

/** The Temporal server release the cluster runs (and docker-compose.yml's temporalio/server tag). */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
const SERVER_PACKAGE = `${TEMPORAL_SERVER_MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION}`;
const SQL_TOOL_PACKAGE = `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`;

/** Both databases, as the server's config and the schema job name them. */
export const DATABASES = { temporal: 'temporal', visibility: 'temporal_visibility' } as const;
export const SQL_PLUGIN = 'postgres12';
export const NUM_HISTORY_SHARDS = 4;
const DB_USER = 'temporal';
const DB_PASSWORD = 'temporal';

/**
 * The schema steps, in order, for one database: what `temporal/cluster.ts` runs with the binary and
 * docker-compose.yml's schema job runs with temporalio/admin-tools. `schemaDir` is the module's
 * schema/postgresql/v12 folder (in the image: /etc/temporal/schema/postgresql/v12).
 */
export function schemaSteps(database: string, schemaDir: string): string[][] {
  const sub = database === DATABASES.visibility ? 'visibility' : 'temporal';
  return [['create-database'], ['setup-schema', '-v', '0.0'], ['update-schema', '-d', `${schemaDir}/${sub}/versioned`]];
}

export class ClusterUnavailable extends Error {}

const log = (line: string) => console.error(line);

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function goBinary(): string {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/local/go/bin']) {
    if (dir && isExecutable(join(dir, 'go'))) return join(dir, 'go');
  }
  throw new ClusterUnavailable(
    'building the Temporal server needs Go (https://go.dev/dl); none on PATH or in /usr/local/go/bin',
  );
}

function goInstall(pkg: string, built: string): string {
  if (isExecutable(built)) return built;
  log(`Building ${pkg} into .tools/bin (first run only; several minutes on 2 cores)...`);
  const result = spawnSync(goBinary(), ['install', pkg], {
    env: { ...process.env, GOBIN: toolsBin, GOFLAGS: process.env.GOFLAGS ?? '-mod=mod' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0 || !isExecutable(built))
    throw new ClusterUnavailable(`'go install ${pkg}' failed (exit ${result.status ?? result.signal})`);
  return built;
}

/** The Temporal server binary (TEMPORAL_SERVER overrides), built once from the module proxy. */
export function temporalServerBinary(): string {
  return process.env.TEMPORAL_SERVER || goInstall(SERVER_PACKAGE, join(toolsBin, 'server'));
}

/** temporal-sql-tool (TEMPORAL_SQL_TOOL overrides), built once from the module proxy. */
export function sqlToolBinary(): string {
  return process.env.TEMPORAL_SQL_TOOL || goInstall(SQL_TOOL_PACKAGE, join(toolsBin, 'sql'));
}

/** The schema/postgresql/v12 folder of the server module (downloaded by `go install`; found in the module cache). */
export function schemaDir(): string {
  const result = spawnSync(
    goBinary(),
    ['mod', 'download', '-json', `${TEMPORAL_SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}`],
    { encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod' } },
  );
  if (result.status !== 0)
    throw new ClusterUnavailable(
      `'go mod download ${TEMPORAL_SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}' failed: ${result.stderr.trim()}`,
    );
  const dir = join(JSON.parse(result.stdout).Dir as string, 'schema', 'postgresql', 'v12');
  if (!existsSync(join(dir, 'temporal', 'versioned'))) throw new ClusterUnavailable(`no PostgreSQL schema in ${dir}`);
  return dir;
}

/** PostgreSQL's server programs (initdb, pg_ctl), installing Debian's postgresql when missing. */
export function postgresBin(): string {
  const find = () => {
    const root = '/usr/lib/postgresql';
    const versions = existsSync(root)
      ? readdirSync(root)
          .filter((v) => /^\d+$/.test(v))
          .sort((a, b) => Number(b) - Number(a))
      : [];
    return versions.map((v) => join(root, v, 'bin')).find((dir) => isExecutable(join(dir, 'pg_ctl')));
  };
  const found = find();
  if (found) return found;
  if (userInfo().uid !== 0)
    throw new ClusterUnavailable(
      "PostgreSQL is not installed: 'sudo apt-get install postgresql' (Debian/Ubuntu), then rerun",
    );
  log('Installing PostgreSQL (apt-get install postgresql)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
  const installed = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], {
    stdio: 'inherit',
    env,
  });
  const after = find();
  if (installed.status !== 0 || !after) throw new ClusterUnavailable('apt-get install postgresql failed');
  return after;
}

/** Builds and installs everything the cluster needs; later calls find it all in place. */
export function ensureClusterTools(): void {
  temporalServerBinary();
  sqlToolBinary();
  schemaDir();
  postgresBin();
  temporalBinary(log);
}

/** Server-side TLS for the frontend; clients must present a certificate signed by `caFile`. */
export interface ClusterTls {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The name in the server certificate that clients verify. */
  serverName: string;
}

export interface ClusterOptions {
  /** Where PostgreSQL's data, the server config and the logs live; a fresh temp folder by default. */
  dir?: string;
  namespace?: string;
  tls?: ClusterTls;
  /** The frontend's port; a free one by default. */
  frontendPort?: number;
}

export interface Cluster {
  address: string;
  namespace: string;
  dir: string;
  postgresPort: number;
  serverLog: string;
  tls?: ClusterTls;
  /** Stops the Temporal server (SIGTERM), PostgreSQL stays up. */
  stopServer(signal?: NodeJS.Signals): Promise<void>;
  startServer(): Promise<void>;
  /** The `temporal` CLI against this cluster; answers its stdout. */
  temporal(...args: string[]): Promise<string>;
  /** Stops the server and PostgreSQL, removes the folder when this call made it. */
  stop(): Promise<void>;
}

/** Runs `command` as the `postgres` user when we are root (PostgreSQL refuses to run as root). */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

async function startPostgres(dir: string): Promise<{ port: number; stop(): Promise<void> }> {
  const bin = postgresBin();
  const data = join(dir, 'pgdata');
  const port = await freePort();
  if (userInfo().uid === 0) {
    chmodSync(dir, 0o755);
  }
  if (!existsSync(join(data, 'PG_VERSION'))) {
    mkdirSync(data, { recursive: true });
    const pwfile = join(dir, 'pgpass');
    writeFileSync(pwfile, `${DB_PASSWORD}\n`);
    if (userInfo().uid === 0) {
      const { uid, gid } = postgresIds();
      chownSync(data, uid, gid);
      chownSync(pwfile, uid, gid);
    }
    const [cmd, args] = asPostgres(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      DB_USER,
      `--pwfile=${pwfile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
    ]);
    await run(cmd, args).catch((error) => {
      throw new ClusterUnavailable(`initdb failed: ${error.stderr ?? error.message}`);
    });
    rmSync(pwfile);
  }
  const pgLog = join(dir, 'postgres.log');
  if (userInfo().uid === 0 && !existsSync(pgLog)) {
    writeFileSync(pgLog, '');
    const { uid, gid } = postgresIds();
    chownSync(pgLog, uid, gid);
  }
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${data} -c max_connections=200 -c fsync=off`;
  const [cmd, args] = asPostgres(join(bin, 'pg_ctl'), [
    '-D',
    data,
    '-l',
    pgLog,
    '-o',
    options,
    '-w',
    '-t',
    '60',
    'start',
  ]);
  await run(cmd, args).catch((error) => {
    throw new ClusterUnavailable(`PostgreSQL did not start (see ${pgLog}): ${error.stderr ?? error.message}`);
  });
  return {
    port,
    async stop() {
      const [c, a] = asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
      await run(c, a).catch(() => undefined);
    },
  };
}

function postgresIds(): { uid: number; gid: number } {
  const out = spawnSync('id', ['postgres'], { encoding: 'utf8' }).stdout;
  const uid = Number(/uid=(\d+)/.exec(out)?.[1]);
  const gid = Number(/gid=(\d+)/.exec(out)?.[1]);
  if (!Number.isInteger(uid))
    throw new ClusterUnavailable("running as root needs a `postgres` user (Debian's postgresql package makes one)");
  return { uid, gid };
}

/** Creates and migrates both databases with temporal-sql-tool (idempotent: a migrated database is left as it is). */
async function migrate(postgresPort: number): Promise<void> {
  const tool = sqlToolBinary();
  const dir = schemaDir();
  for (const database of Object.values(DATABASES)) {
    const common = [
      '--plugin',
      SQL_PLUGIN,
      '--ep',
      '127.0.0.1',
      '-p',
      String(postgresPort),
      '-u',
      DB_USER,
      '--pw',
      DB_PASSWORD,
      '--db',
      database,
    ];
    for (const step of schemaSteps(database, dir)) {
      const result = await run(tool, [...common, ...step]).catch(
        (error) => error as { stderr?: string; code?: number },
      );
      const failed = 'code' in result && result.code;
      // A database that exists already is fine (a restart of a kept folder).
      if (failed && !(step[0] === 'create-database' && /already exists/.test(result.stderr ?? ''))) {
        throw new ClusterUnavailable(`temporal-sql-tool ${step[0]} on ${database} failed: ${result.stderr}`);
      }
    }
  }
}

interface Ports {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  metrics: number;
}

/** The server's config file (config/development.yaml): PostgreSQL persistence and visibility, loopback ports. */
export function serverConfig(postgresPort: number, ports: Ports, dynamicConfigFile: string, tls?: ClusterTls): object {
  const sql = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: SQL_PLUGIN,
      databaseName,
      connectAddr: `127.0.0.1:${postgresPort}`,
      connectProtocol: 'tcp',
      user: DB_USER,
      password: DB_PASSWORD,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number, extra: object = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: NUM_HISTORY_SHARDS,
      datastores: {
        'postgres-default': sql(DATABASES.temporal, 20),
        'postgres-visibility': sql(DATABASES.visibility, 10),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      metrics: {
        prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${ports.metrics}` },
      },
      ...(tls
        ? {
            tls: {
              frontend: {
                server: {
                  certFile: tls.certFile,
                  keyFile: tls.keyFile,
                  requireClientAuth: true,
                  clientCaFiles: [tls.caFile],
                },
                client: { serverName: tls.serverName, rootCaFiles: [tls.caFile] },
              },
              systemWorker: {
                certFile: tls.certFile,
                keyFile: tls.keyFile,
                client: { serverName: tls.serverName, rootCaFiles: [tls.caFile] },
              },
            },
          }
        : {}),
    },
    services: {
      frontend: service(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      history: service(ports.history, ports.historyMembership),
      matching: service(ports.matching, ports.matchingMembership),
      worker: service(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
}

/** A free loopback port below 32768: the membership table stores ports as smallint, above the OS's ephemeral range. */
async function freeLowPort(taken: Set<number>): Promise<number> {
  const { createServer } = await import('node:net');
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer()
        .once('error', () => resolve(false))
        .listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

async function allocatePorts(frontend?: number): Promise<Ports> {
  const names: (keyof Ports)[] = [
    'frontend',
    'frontendHttp',
    'frontendMembership',
    'history',
    'historyMembership',
    'matching',
    'matchingMembership',
    'worker',
    'workerMembership',
    'metrics',
  ];
  const ports = {} as Ports;
  const taken = new Set<number>(frontend ? [frontend] : []);
  for (const name of names) {
    if (name === 'frontend' && frontend) {
      ports.frontend = frontend;
      continue;
    }
    ports[name] = await freeLowPort(taken);
    taken.add(ports[name]);
  }
  return ports;
}

/** gRPC connection options for a client of the cluster (mTLS with `cert` when the cluster has TLS). */
export function clusterConnectionOptions(
  cluster: Pick<Cluster, 'address' | 'tls'>,
  cert?: { certFile: string; keyFile: string },
) {
  return { address: cluster.address, ...(cluster.tls ? { tls: tlsOptions(cluster.tls, cert ?? cluster.tls) } : {}) };
}

function tlsOptions(tls: ClusterTls, cert: { certFile: string; keyFile: string }) {
  return {
    serverNameOverride: tls.serverName,
    serverRootCACertificate: readFileSync(tls.caFile),
    clientCertPair: { crt: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) },
  };
}

/** Starts PostgreSQL, migrates, starts the Temporal server, creates the namespace and conveyor's search attributes. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  ensureClusterTools();
  const madeDir = !options.dir;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'conveyor-cluster-'));
  mkdirSync(join(dir, 'config'), { recursive: true });
  const namespace = options.namespace ?? 'default';
  const postgres = await startPostgres(dir);
  let server: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  const serverLog = join(dir, 'temporal-server.log');
  try {
    await migrate(postgres.port);
    const ports = await allocatePorts(options.frontendPort);
    const address = `127.0.0.1:${ports.frontend}`;
    writeFileSync(
      join(dir, 'config', 'development.yaml'),
      stringify(serverConfig(postgres.port, ports, join(dir, 'config', 'dynamicconfig.yaml'), options.tls)),
    );
    writeFileSync(
      join(dir, 'config', 'dynamicconfig.yaml'),
      stringify({
        'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }],
        ...serverSettingsFile,
      }),
    );

    const tlsArgs = options.tls
      ? [
          '--tls-ca-path',
          options.tls.caFile,
          '--tls-cert-path',
          options.tls.certFile,
          '--tls-key-path',
          options.tls.keyFile,
          '--tls-server-name',
          options.tls.serverName,
        ]
      : [];
    const cluster: Cluster = {
      address,
      namespace,
      dir,
      postgresPort: postgres.port,
      serverLog,
      tls: options.tls,
      async startServer() {
        const fd = openSync(serverLog, 'a');
        const child = spawn(
          temporalServerBinary(),
          ['--root', dir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'],
          { stdio: ['ignore', fd, fd] },
        );
        closeSync(fd);
        server = child;
        exited = new Promise((resolve) => child.once('exit', resolve));
        let gone = false;
        void exited.then(() => (gone = true));
        const deadline = Date.now() + 120_000;
        while (!(await answers(clusterConnectionOptions(cluster)))) {
          if (gone) throw new ClusterUnavailable(`the Temporal server exited during start-up; see ${serverLog}`);
          if (Date.now() > deadline)
            throw new ClusterUnavailable(`the Temporal server did not answer at ${address} in 120 s; see ${serverLog}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      },
      async stopServer(signal = 'SIGTERM') {
        const child = server;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      },
      async temporal(...args) {
        return (await run(temporalBinary(log), [...args, '--address', address, ...tlsArgs])).stdout;
      },
      async stop() {
        await cluster.stopServer();
        await postgres.stop();
        if (madeDir) rmSync(dir, { recursive: true, force: true });
      },
    };
    await cluster.startServer();
    await createNamespace(cluster);
    return cluster;
  } catch (error) {
    server?.kill('SIGKILL');
    await exited;
    await postgres.stop();
    throw error;
  }
}

async function answers(options: ReturnType<typeof clusterConnectionOptions>): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: 1000 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

const cliTypes: Record<string, string> = { KEYWORD: 'Keyword', BOOL: 'Bool' };

/** The namespace and conveyor's search attributes, with the `temporal` CLI (retried while the server settles). */
async function createNamespace(cluster: Cluster): Promise<void> {
  const retry = async (what: string, step: () => Promise<unknown>, ok: RegExp = /$^/) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await step();
        return;
      } catch (error) {
        const text = `${(error as { stderr?: string }).stderr ?? ''}${(error as Error).message}`;
        if (ok.test(text)) return;
        if (Date.now() > deadline) throw new ClusterUnavailable(`${what} failed: ${text.trim()}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  await retry(
    `namespace ${cluster.namespace}`,
    () => cluster.temporal('operator', 'namespace', 'create', '--namespace', cluster.namespace, '--retention', '72h'),
    /already (exists|registered)/i,
  );
  await retry(`namespace ${cluster.namespace} visible`, () =>
    cluster.temporal('operator', 'namespace', 'describe', '--namespace', cluster.namespace),
  );
  for (const key of conveyorSearchAttributes) {
    await retry(
      `search attribute ${key.name}`,
      () =>
        cluster.temporal(
          'operator',
          'search-attribute',
          'create',
          '--namespace',
          cluster.namespace,
          '--name',
          key.name,
          '--type',
          cliTypes[key.type],
        ),
      /already exists/i,
    );
  }
  await retry('search attributes usable', () =>
    cluster.temporal('workflow', 'list', '--namespace', cluster.namespace, '--query', 'ConveyorPaused = true'),
  );
}
