import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { shutdownWindow } from '../../worker/shutdown';

describe('the shutdown window after SIGTERM', () => {
  const rows: [string, number, { activitiesMs: number; forceMs: number; exitMs: number }][] = [
    ["the default 25 s, inside Heroku's 30 s", 25_000, { activitiesMs: 20_000, forceMs: 22_500, exitMs: 25_000 }],
    ['a short window keeps the same order', 1_000, { activitiesMs: 800, forceMs: 900, exitMs: 1_000 }],
    ['none: everything is handed back at once', 0, { activitiesMs: 0, forceMs: 0, exitMs: 0 }],
  ];
  for (const [name, graceMs, expected] of rows)
    test(name, () => {
      const window = shutdownWindow(graceMs);
      assert.deepEqual(window, expected);
      assert.ok(window.activitiesMs <= window.forceMs && window.forceMs <= window.exitMs);
    });
});
