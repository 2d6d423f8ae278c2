import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CHART_LINE, sectionsAfterTables } from '../../bench/results';

describe("writing results.md again keeps what is not the bench's tables", () => {
  test('the sections after the tables are kept, in order', () => {
    const text = `# Bench\n\n| a | b |\n\n${CHART_LINE}\n\n## Traces\n\nby hand\n\n## Waves against a chain\n\nrows\n`;
    assert.equal(sectionsAfterTables(text), '## Traces\n\nby hand\n\n## Waves against a chain\n\nrows\n');
  });
  test('a file with only the tables keeps nothing', () => {
    assert.equal(sectionsAfterTables(`# Bench\n\n${CHART_LINE}\n`), '');
  });
  test("a file without the bench's tables (the waves run alone) is kept whole", () => {
    assert.equal(sectionsAfterTables('## Waves against a chain\n\nrows\n'), '## Waves against a chain\n\nrows\n');
  });
});
