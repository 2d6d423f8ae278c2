// `npm test`: type-check, then every test file under test/, against one real Temporal dev server
// (in memory, headless, on a free loopback port) that this script starts and stops.
import { spawnSync, spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { TEST_LOG_DIR } from '../test/support/test-log-dir';
import { join, relative, sep } from 'node:path';
import { ClusterUnavailable, ensureClusterTools } from '../temporal/cluster';
import { ensureDevServer } from '../temporal/dev-server';
import { projectRoot } from '../temporal/paths';
import { freePort } from '../temporal/free-port';

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Runs one of the project's own tools (a script under node_modules) and stops the run when it fails. */
// CONVEYOR_SKIP_CHECKS=1 runs the tests alone (while editing; `npm test` and CI always check).
const skipChecks = process.env.CONVEYOR_SKIP_CHECKS === '1';

function check(script: string, args: string[], hint?: string): void {
  if (skipChecks) return;
  const result = spawnSync(process.execPath, [join(projectRoot, 'node_modules', ...script.split('/')), ...args], {
    cwd: projectRoot,
    stdio: 'inherit',
  });
  if (result.status === 0) return;
  if (hint) console.error(`conveyor: ${hint}`);
  process.exit(result.status ?? 1);
}

check('typescript/bin/tsc', ['--noEmit', '-p', projectRoot]);
// The layers' dependency rules (.dependency-cruiser.cjs): domain pure, activities never reaching workflows, no cycles.
const layers = [
  'activities',
  'bin',
  'cli',
  'client',
  'config',
  'dashboard',
  'domain',
  'sandbox',
  'scripts',
  'temporal',
  'worker',
  'workflows',
];
check('dependency-cruiser/bin/dependency-cruise.mjs', [...layers, '--config', '.dependency-cruiser.cjs']);
// The formatter's layout and the linter's rules (.prettierrc.json, eslint.config.js).
check(
  'prettier/bin/prettier.cjs',
  ['--check', '--log-level', 'warn', '**/*.{ts,js,cjs,mjs}'],
  'files not formatted: run `npm run format`',
);
check('eslint/bin/eslint.js', ['.']);

const filter = process.argv.slice(2);
// test/cluster/ (a self-hosted Temporal on PostgreSQL, about 4 minutes) is part of the whole run;
// `npm run test:cluster` runs it alone with the connection tests.
const files = testFiles(join(projectRoot, 'test'))
  .map((f) => relative(projectRoot, f))
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)))
  .sort();

// The self-hosted cluster's tools (Temporal server, temporal-sql-tool, PostgreSQL) are installed
// before the tests start, not inside one of them: the first build takes minutes.
if (files.some((f) => f.startsWith(join('test', 'cluster') + sep) || f.includes('mtls'))) {
  try {
    ensureClusterTools();
  } catch (error) {
    if (!(error instanceof ClusterUnavailable)) throw error;
    console.error(`conveyor: ${error.message}`);
    process.exit(1);
  }
}

const server = await ensureDevServer({ address: `127.0.0.1:${await freePort()}`, headless: true, dbFile: null });
console.error(`Temporal dev server for tests at ${server.address}`);
// --test-force-exit: a file whose tests are done ends even if a handle it forgot keeps its event loop
// alive (a hung file would otherwise hold the whole run, and CI, until its time limit). The timeout
// bounds any one test the same way.
// A fresh folder for this run's worker logs (test/support/test-logs.ts).
rmSync(TEST_LOG_DIR, { recursive: true, force: true });
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-force-exit',
    '--test-timeout=900000',
    '--test-reporter=spec',
    ...files,
  ],
  {
    cwd: projectRoot,
    stdio: 'inherit',
    env: { ...process.env, CONVEYOR_TEST_TEMPORAL_ADDRESS: server.address },
  },
);
const code: number = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await server.stop();
if (code !== 0)
  console.error(`the workers' warnings and errors of this run (kept out of the output above): ${TEST_LOG_DIR}/`);
process.exit(code);
