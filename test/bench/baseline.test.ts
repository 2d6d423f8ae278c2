import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promotionsToMake, type StageRead } from '../../bench/cedar';
import { writeChart } from '../../bench/chart';

const MIN_AGE = 60_000;
const NOW = 1_000_000;
const stage = (app: string, slugId: string | null, runningSinceMs = 0): StageRead => ({
  app,
  appId: `${app}-id`,
  release: slugId === null ? null : { id: `${app}-${slugId}`, slugId, runningSinceMs },
});
const pairs = (stages: StageRead[], inFlight = new Map<string, string>()) =>
  promotionsToMake(stages, NOW, MIN_AGE, inFlight).map((p) => `${p.source.app}->${p.target.app}`);

describe("the bench's baseline poller decides", () => {
  test('a stage whose slug differs from the next one and has run for minAge is promoted', () => {
    assert.deepEqual(pairs([stage('qa', 'b'), stage('st', 'a'), stage('eu', 'a')]), ['qa->st']);
  });

  test('every differing pair at once, as a poller reconciling differences does', () => {
    assert.deepEqual(pairs([stage('qa', 'c'), stage('st', 'b'), stage('eu', 'a')]), ['qa->st', 'st->eu']);
  });

  test('stages running the same slug are left alone', () => {
    assert.deepEqual(pairs([stage('qa', 'a'), stage('st', 'a')]), []);
  });

  test('a release younger than minAge waits', () => {
    assert.deepEqual(pairs([stage('qa', 'b', NOW - MIN_AGE + 1), stage('st', 'a')]), []);
    assert.deepEqual(pairs([stage('qa', 'b', NOW - MIN_AGE), stage('st', 'a')]), ['qa->st']);
  });

  test('a source with no running release, or a release without a slug, is not promoted', () => {
    assert.deepEqual(pairs([stage('qa', null), stage('st', 'a')]), []);
  });

  test('a target with a promotion of that slug in flight is not promoted again', () => {
    assert.deepEqual(pairs([stage('qa', 'b'), stage('st', 'a')], new Map([['st', 'b']])), []);
    assert.deepEqual(pairs([stage('qa', 'c'), stage('st', 'a')], new Map([['st', 'b']])), ['qa->st']);
  });
});

describe("the bench's chart", () => {
  test('is written as a PNG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-chart-'));
    try {
      const path = join(dir, 'chart.png');
      await writeChart(path, {
        title: 'title',
        note: 'note',
        requestsPerHour: [
          {
            label: 'baseline',
            points: [
              [10, 7200],
              [50, 36000],
            ],
          },
        ],
        leadTimeS: [
          {
            label: 'baseline',
            points: [
              [10, 5],
              [50, null],
            ],
          },
        ],
      });
      assert.deepEqual([...readFileSync(path).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
