// The documentation a reader follows: every relative link in the README and docs/ reaches a file
// that exists (and a heading, when it names one), and the README's example services file is valid.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseServices } from '../../config/load';
import { projectRoot } from '../../temporal/paths';

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

const pages = [
  join(projectRoot, 'README.md'),
  join(projectRoot, 'CHANGELOG.md'),
  join(projectRoot, 'sandbox', 'README.md'),
  ...markdownFiles(join(projectRoot, 'docs')),
];

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) => anchorOf(heading)));
}

/** Every [text](target) outside code blocks that is not a web address. */
function relativeLinks(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map(([, target]) => target).filter((t) => !/^[a-z]+:/i.test(t));
}

describe('documentation links', () => {
  for (const page of pages) {
    test(`every link in ${relative(projectRoot, page)} reaches what it names`, () => {
      const broken: string[] = [];
      for (const link of relativeLinks(page)) {
        const [path, anchor] = link.split('#');
        const target = path ? join(dirname(page), path) : page;
        if (!existsSync(target)) broken.push(`${link}: no such file`);
        else if (anchor && statSync(target).isFile() && !anchors(target).has(anchor))
          broken.push(`${link}: no heading with that anchor`);
      }
      assert.deepEqual(broken, []);
    });
  }

  test('the README stays short: what it is, the demo, the quick start, where to go next', () => {
    const lines = readFileSync(join(projectRoot, 'README.md'), 'utf8').split('\n').length;
    assert.ok(lines <= 150, `README.md has ${lines} lines`);
  });

  test('every page under docs/ is reachable from the docs index', () => {
    const index = join(projectRoot, 'docs', 'README.md');
    const linked = new Set(relativeLinks(index).map((link) => join(dirname(index), link.split('#')[0])));
    const unlinked = markdownFiles(join(projectRoot, 'docs')).filter((page) => page !== index && !linked.has(page));
    assert.deepEqual(
      unlinked.map((page) => relative(projectRoot, page)),
      [],
    );
  });

  test("the README's example services file is valid", () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(example, 'the README shows a services file');
    const [api] = parseServices(example, 'services.yaml');
    assert.deepEqual(api.stages, ['api-qa01', 'api-st01', 'api-va01', 'api-va02', 'api-eu01', 'api-eu02', 'api-ap01']);
    assert.deepEqual(api.waves?.slice(2), [
      ['api-va01', 'api-va02'],
      ['api-eu01', 'api-eu02', 'api-ap01'],
    ]);
  });
});
