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
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  // `npm install` with the committed lockfile installs exactly the locked versions. Not `npm ci`:
  // npm 11 writes locks without other platforms' optional @swc/core packages and then refuses them in ci.
  console.error('Installing npm packages (npm install, from package-lock.json)...');
  run('npm', ['install', '--no-audit', '--no-fund']);
}
run(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'scripts', 'ensure-temporal.ts')]);
