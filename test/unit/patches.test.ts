import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PATCHES, type Patch } from '../../workflows/patches';

/** The patch table in docs/contributing/architecture.md: its rows after the `| patch | since | can be deprecated |` header. */
function readmePatches(): Map<string, string> {
  const readme = readFileSync(new URL('../../docs/contributing/architecture.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('| patch | since | can be deprecated |'));
  const rows = table.split('\n').slice(2);
  const patches = new Map<string, string>();
  for (const row of rows) {
    if (!row.startsWith('|')) break;
    const [names, since] = row.split('|').slice(1, 3);
    for (const [, id] of names.matchAll(/`([a-z-]+)`/g)) patches.set(id, since.trim());
  }
  return patches;
}

test('every patch in the code has its row in the architecture page, with the version it came in', () => {
  const written = readmePatches();
  for (const [id, { since }] of Object.entries<Patch>(PATCHES)) assert.equal(written.get(id), since, `row for ${id}`);
});

test('the architecture page lists no patch the code does not have', () => {
  const unknown = [...readmePatches().keys()].filter((id) => !(id in PATCHES));
  assert.deepEqual(unknown, []);
});
