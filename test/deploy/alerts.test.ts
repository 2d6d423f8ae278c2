import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../temporal/paths';
import { promtoolBinary } from '../observability/prometheus';

const rules = join(projectRoot, 'deploy', 'prometheus');

describe('the Prometheus alert rules in deploy/', () => {
  test('promtool accepts them', () => {
    const checked = spawnSync(promtoolBinary(), ['check', 'rules', join(rules, 'conveyor-alerts.yml')], {
      encoding: 'utf8',
    });
    assert.equal(checked.status, 0, checked.stdout + checked.stderr);
    assert.match(checked.stdout, /SUCCESS: 7 rules found/);
  });

  test('a pipeline blocked over 30 minutes, a failed promotion and a missing worker fire; shorter or older ones do not (promtool unit tests)', () => {
    const tested = spawnSync(promtoolBinary(), ['test', 'rules', 'conveyor-alerts.test.yml'], {
      cwd: rules,
      encoding: 'utf8',
    });
    assert.equal(tested.status, 0, tested.stdout + tested.stderr);
    assert.match(tested.stdout, /SUCCESS/);
  });
});
