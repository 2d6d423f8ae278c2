import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { histogram, observations, quantile, since, total } from '../../bench/histograms';

const scrape = (counts: [string, number][], worker = 'a') =>
  counts
    .map(([le, n]) => `temporal_workflow_task_execution_latency_bucket{worker="${worker}",le="${le}"} ${n}`)
    .join('\n');

describe("the scale bench reads Core's histograms", () => {
  test('buckets of every label set are added up, by bound, +Inf last', () => {
    const text = [
      '# HELP temporal_workflow_task_execution_latency x',
      scrape([
        ['10', 1],
        ['100', 3],
        ['+Inf', 4],
      ]),
      scrape(
        [
          ['10', 2],
          ['100', 2],
          ['+Inf', 2],
        ],
        'b',
      ),
      'temporal_workflow_task_execution_latency_sum{worker="a"} 900',
    ].join('\n');
    assert.deepEqual(histogram(text, 'temporal_workflow_task_execution_latency'), [
      [10, 3],
      [100, 5],
      [Infinity, 6],
    ]);
  });

  test('a histogram the scrape does not have is empty, with no observations and no quantile', () => {
    const empty = histogram('temporal_other_bucket{le="1"} 3', 'temporal_workflow_task_execution_latency');
    assert.deepEqual(empty, []);
    assert.equal(observations(empty), 0);
    assert.equal(quantile(empty, 0.99), undefined);
  });

  test('a window is the difference between two scrapes', () => {
    const before: [number, number][] = [
      [10, 3],
      [100, 5],
      [Infinity, 6],
    ];
    const after: [number, number][] = [
      [10, 4],
      [100, 9],
      [Infinity, 10],
    ];
    assert.deepEqual(since(before, after), [
      [10, 1],
      [100, 4],
      [Infinity, 4],
    ]);
  });

  test('a quantile is interpolated within its bucket, as histogram_quantile does', () => {
    const buckets: [number, number][] = [
      [100, 50],
      [200, 100],
      [Infinity, 100],
    ];
    assert.equal(quantile(buckets, 0.5), 100);
    assert.equal(quantile(buckets, 0.75), 150);
    assert.equal(quantile(buckets, 0.25), 50);
  });

  test('a quantile in the +Inf bucket answers the highest finite bound', () => {
    assert.equal(
      quantile(
        [
          [100, 1],
          [Infinity, 10],
        ],
        0.99,
      ),
      100,
    );
  });

  test('counters and gauges of every label set are added up', () => {
    const text =
      'temporal_sticky_cache_size{w="a"} 3\ntemporal_sticky_cache_size{w="b"} 4\ntemporal_sticky_cache_hit 9';
    assert.equal(total(text, 'temporal_sticky_cache_size'), 7);
    assert.equal(total(text, 'temporal_sticky_cache_miss'), 0);
  });
});
