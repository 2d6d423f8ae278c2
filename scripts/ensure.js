#!/usr/bin/env node
// Installs what a fresh clone is missing, using Node built-ins only (nothing else is there yet):
// npm packages from the lockfile, then the Temporal CLI (built once with Go into .tools/bin).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (command, args) => {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

const installed = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
if (!existsSync(installed)) {
  // A fresh clone: exactly the lockfile, or a clear failure when it is out of step with package.json.
  // (The lock keeps every platform's optional @swc/core package, so `npm ci` accepts it anywhere;
  // test/deploy/compose.test.ts checks that.)
  console.error('Installing npm packages (npm ci, from package-lock.json)...');
  run('npm', ['ci', '--no-audit', '--no-fund']);
} else if (statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  // The lock changed under an existing node_modules (a pull): bring it up to date in place.
  console.error('Updating npm packages (npm install, from package-lock.json)...');
  run('npm', ['install', '--no-audit', '--no-fund']);
}
run(process.execPath, [
  join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
  join(root, 'scripts', 'ensure-temporal.ts'),
]);
