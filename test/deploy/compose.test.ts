// docker-compose.yml, checked by a real compose parser (Debian's docker-compose `config`; no Docker
// engine runs here), and held to what temporal/cluster.ts runs for real in the cluster tests.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parse } from 'yaml';
import {
  DATABASES,
  NUM_HISTORY_SHARDS,
  postgresBin,
  schemaSteps,
  SQL_PLUGIN,
  TEMPORAL_SERVER_VERSION,
} from '../../temporal/cluster';
import { projectRoot } from '../../temporal/paths';
import { conveyorSearchAttributes } from '../../temporal/search-attributes';
import { serverSettingsFile } from '../../temporal/server-settings';
import { procfile } from '../support/heroku-dyno';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[] | string;
  entrypoint?: string[];
  environment?: Record<string, string>;
  env_file?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  volumes?: (string | { source: string; target: string; type: string })[];
  stop_grace_period?: string;
}

function dockerCompose(): string {
  if (spawnSync('sh', ['-c', 'command -v docker-compose']).status !== 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    const installed = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'docker-compose'], {
      stdio: 'inherit',
      env,
    });
    if (installed.status !== 0)
      throw new Error("apt-get install docker-compose failed (Debian's docker-compose is this test's compose parser)");
  }
  return 'docker-compose';
}

/** `docker-compose config` on a copy of the file beside an empty conveyor.env: the normalized model, or the parser's complaint. */
function composeConfig(text: string): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-compose-'));
  writeFileSync(join(dir, 'docker-compose.yml'), text);
  writeFileSync(join(dir, 'conveyor.env'), '');
  copyFileSync(join(projectRoot, 'Dockerfile'), join(dir, 'Dockerfile'));
  return spawnSync(dockerCompose(), ['config'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, HEROKU_API_KEY: '', GITHUB_TOKEN: '' },
  });
}

const composeText = readFileSync(join(projectRoot, 'docker-compose.yml'), 'utf8');
let services: Record<string, ComposeService>;
let volumes: string[];

describe('docker-compose.yml', () => {
  before(() => {
    const result = composeConfig(composeText);
    assert.equal(result.status, 0, result.stderr);
    const model = parse(result.stdout) as {
      services: Record<string, ComposeService>;
      volumes?: Record<string, unknown>;
    };
    services = model.services;
    volumes = Object.keys(model.volumes ?? {});
  });

  test('the compose parser accepts it, and refuses a broken copy (the check is real)', () => {
    const broken = composeConfig(composeText.replace('condition: service_healthy', 'condition: when_it_feels_like_it'));
    assert.notEqual(broken.status, 0);
    assert.match(broken.stderr, /condition/);
    assert.deepEqual(Object.keys(services).sort(), [
      'apply',
      'postgresql',
      'temporal',
      'temporal-schema',
      'temporal-setup',
      'temporal-ui',
      'web',
      'worker',
    ]);
  });

  test('every dependency waits for health or completion, and long-running services restart', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [on, dependency] of Object.entries(service.depends_on ?? {})) {
        assert.ok(
          ['service_healthy', 'service_completed_successfully'].includes(dependency.condition),
          `${name} -> ${on}: ${dependency.condition}`,
        );
        if (dependency.condition === 'service_healthy') assert.ok(services[on].healthcheck, `${on} has a healthcheck`);
      }
      const oneShot = ['temporal-schema', 'temporal-setup', 'apply'].includes(name);
      assert.equal(service.restart, oneShot ? 'no' : 'unless-stopped', `${name} restart policy`);
    }
    // docker-compose 1.x prints short syntax (name:/path:rw); a named volume, declared at the top level.
    const data = services.postgresql.volumes
      ?.map((v) => (typeof v === 'string' ? v.split(':') : [v.source, v.target]))
      .find(([, target]) => target === '/var/lib/postgresql/data');
    assert.ok(data && volumes.includes(data[0]), `PostgreSQL keeps its data in a named volume (${data})`);
  });

  test('its Temporal and PostgreSQL are the ones the cluster tests run: versions, databases, schema steps, shards, search attributes', () => {
    assert.equal(services.temporal.image, `temporalio/server:${TEMPORAL_SERVER_VERSION}`);
    assert.equal(services['temporal-schema'].image, `temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`);
    assert.equal(
      services.postgresql.image,
      `postgres:${basename(dirname(postgresBin()))}`,
      'the PostgreSQL major version Debian gives the tests',
    );

    const env = services.temporal.environment!;
    assert.deepEqual(
      [env.DB, env.DBNAME, env.VISIBILITY_DBNAME, Number(env.NUM_HISTORY_SHARDS)],
      [SQL_PLUGIN, DATABASES.temporal, DATABASES.visibility, NUM_HISTORY_SHARDS],
    );
    assert.equal(services['temporal-schema'].environment!.SQL_PLUGIN, SQL_PLUGIN);

    const script = [services['temporal-schema'].command]
      .flat()
      .join('\n')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const expected = Object.values(DATABASES).flatMap((db) =>
      schemaSteps(db, '/etc/temporal/schema/postgresql/v12').map(
        (step) => `temporal-sql-tool --db ${db} ${step.join(' ')}`,
      ),
    );
    assert.deepEqual(
      script.map((line) => line.replace(/ \|\| true$/, '')),
      expected,
    );

    const setup = [services['temporal-setup'].command].flat().join('\n');
    for (const key of conveyorSearchAttributes) {
      const type = key.type === 'BOOL' ? 'Bool' : 'Keyword';
      assert.match(setup, new RegExp(`search-attribute create .*--name ${key.name} --type ${type}`));
    }
  });

  test('its Temporal gets the dynamic config of the servers conveyor starts (short timers on time, eager activities)', () => {
    const env = services.temporal.environment!;
    const mount = services.temporal
      .volumes!.map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v))
      .find((v) => v.target === env.DYNAMIC_CONFIG_FILE_PATH);
    assert.ok(mount, 'the dynamic config file named by DYNAMIC_CONFIG_FILE_PATH is mounted');
    // The parser ran on a copy of the compose file: its source is resolved beside that copy.
    assert.ok(mount.source.endsWith('/deploy/temporal/dynamicconfig.yaml'), mount.source);
    const file = join(projectRoot, 'deploy', 'temporal', 'dynamicconfig.yaml');
    assert.deepEqual(parse(readFileSync(file, 'utf8')), serverSettingsFile);
  });

  test('the worker is built from the repository, gets its tokens from an env file, and every variable it reads is passed through', () => {
    const worker = services.worker;
    assert.ok(worker.build, 'built from the Dockerfile');
    // docker-compose 1.x inlines env files into `environment` in its output: env_file is read from the file itself.
    const raw = (parse(composeText) as { services: Record<string, { env_file?: string | string[] }> }).services;
    for (const name of ['worker', 'web', 'apply'])
      assert.deepEqual([raw[name].env_file].flat(), ['conveyor.env'], `${name} reads conveyor.env`);
    for (const service of [worker, services.apply]) {
      assert.ok(
        !('HEROKU_API_KEY' in (service.environment ?? {})) && !('GITHUB_TOKEN' in (service.environment ?? {})),
        'no token in the compose file',
      );
    }
    const source = readdirSync(join(projectRoot, 'worker'))
      .concat(readdirSync(join(projectRoot, 'activities')).map((f) => `../activities/${f}`))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(projectRoot, 'worker', f), 'utf8'))
      .join('\n');
    const read = new Set(
      [
        ...source.matchAll(/env(?:\.|\[')((?:CONVEYOR|HEROKU|GITHUB|LIBRATO)_[A-Z_]+)/g),
        ...source.matchAll(/'((?:CONVEYOR|HEROKU|GITHUB|LIBRATO)_[A-Z_]+)'/g),
      ].map((m) => m[1]),
    );
    read.delete('CONVEYOR_WORKFLOW_BUNDLE'); // set by the image itself
    assert.ok(read.has('HEROKU_API_KEY') && read.has('CONVEYOR_SHUTDOWN_GRACE'), [...read].join(' '));
    const example = readFileSync(join(projectRoot, 'conveyor.env.example'), 'utf8');
    const passed = new Set(
      [...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]).concat(Object.keys(worker.environment ?? {})),
    );
    assert.deepEqual(
      [...read].filter((name) => !passed.has(name)),
      [],
      'variables the worker reads that compose does not pass',
    );
    assert.match(readFileSync(join(projectRoot, '.gitignore'), 'utf8'), /^conveyor\.env$/m);
  });

  test("web and worker run the Procfile's commands (the image's entrypoint is node bin/conveyor.js); web publishes its port", () => {
    const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
    const entrypoint = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(dockerfile)![1]) as string[];
    const processes = procfile();
    for (const name of ['web', 'worker']) {
      const command = [entrypoint, services[name].command].flat().join(' ');
      assert.ok(
        processes[name].endsWith(command),
        `${name}: compose runs "${command}", the Procfile "${processes[name]}"`,
      );
    }
    const web = services.web;
    assert.equal(web.environment?.PORT, '8234');
    assert.equal(web.environment?.CONVEYOR_WEB_HOST, '0.0.0.0');
    assert.ok(web.environment?.CONVEYOR_HOSTNAMES, 'the names it answers');
    assert.match(JSON.stringify((web as { ports?: unknown }).ports), /8234/);
    assert.match(web.healthcheck!.test.join(' '), /\/healthz/);
    assert.match(dockerfile, /^EXPOSE .*\b8234\b/m);
    assert.equal(services.worker.stop_grace_period, '30s', "the worker's 25 s shutdown grace, and a little more");
  });

  test('the Dockerfile: multi-stage, npm ci --omit=dev from the lockfile, workflow bundle built at build time, non-root, Node LTS', () => {
    const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
    const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    assert.ok(stages.length >= 2 && stages.every((image) => /^node:24-/.test(image)), stages.join(', '));
    assert.match(dockerfile, /^RUN npm ci --omit=dev/m);
    assert.match(dockerfile, /scripts\/bundle-workflows\.ts/);
    assert.match(dockerfile, /CONVEYOR_WORKFLOW_BUNDLE=/);
    assert.match(dockerfile, /^USER node$/m);
    assert.match(readFileSync(join(projectRoot, '.dockerignore'), 'utf8'), /^conveyor\.env$/m);
  });

  test("the lockfile installs with npm ci on every platform: each of @swc/core's platform packages is locked", () => {
    const lock = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { optionalDependencies?: Record<string, string> }>;
    };
    const swc = lock.packages['node_modules/@swc/core'];
    const platforms = Object.keys(swc.optionalDependencies ?? {}).filter((name) => name.startsWith('@swc/core-'));
    assert.ok(platforms.length >= 8, platforms.join(', '));
    assert.deepEqual(
      platforms.filter((name) => !lock.packages[`node_modules/${name}`]),
      [],
      'platform packages missing from the lock (npm ci would refuse it)',
    );
  });
});
