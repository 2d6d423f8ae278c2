import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import {
  approvalSpec,
  ciSpec,
  toApprovalPolicy,
  toWebhookPolicy,
  toZeroDowntimeMode,
  webhookSpec,
  zeroDowntimeSpec,
} from '../../config/checks-schema';

/** The messages a spec answers for `input`, as "path: message". */
const problems = (spec: z.ZodType, input: unknown): string[] => {
  const parsed = spec.safeParse(input);
  assert.equal(parsed.success, false, 'expected the spec to be refused');
  return parsed.error.issues.map((issue) => `${issue.path.join('.') || '(spec)'}: ${issue.message}`);
};

describe('checks config', () => {
  test('approval: no approvers listed means anyone', () => {
    assert.deepEqual(toApprovalPolicy(approvalSpec.parse({})), { approvers: [] });
    assert.deepEqual(toApprovalPolicy(approvalSpec.parse({ approvers: [' ana ', 'bo'] })), {
      approvers: ['ana', 'bo'],
    });
  });

  test('approval: an empty or repeated approver is refused', () => {
    assert.deepEqual(problems(approvalSpec, { approvers: [''] }), ['approvers.0: an approver must not be empty']);
    assert.deepEqual(problems(approvalSpec, { approvers: ['ana', 'Ana'] }), [
      'approvers: must not name an approver twice',
    ]);
  });

  test('approval: an unknown key is refused', () => {
    assert.match(problems(approvalSpec, { approver: ['ana'] })[0], /approver/);
  });

  test('zeroDowntime: true blocks, a mode may warn, false is off', () => {
    assert.equal(toZeroDowntimeMode(zeroDowntimeSpec.parse(true)), 'block');
    assert.equal(toZeroDowntimeMode(zeroDowntimeSpec.parse({})), 'block');
    assert.equal(toZeroDowntimeMode(zeroDowntimeSpec.parse({ mode: 'warn' })), 'warn');
    assert.equal(toZeroDowntimeMode(zeroDowntimeSpec.parse(false)), undefined);
  });

  test('zeroDowntime: anything else is refused saying what is accepted', () => {
    assert.deepEqual(problems(zeroDowntimeSpec, 'yes'), ['(spec): must be true, false or {"mode": "block" | "warn"}']);
  });

  test('ci: on unless turned off', () => {
    assert.equal(ciSpec.parse(undefined), true);
    assert.equal(ciSpec.parse(false), false);
    assert.deepEqual(problems(ciSpec, 'on'), ['(spec): must be true or false']);
  });

  test('webhook: the secret variable and timeout default', () => {
    assert.deepEqual(toWebhookPolicy(webhookSpec.parse({ url: 'https://deploys.acme.com/check' })), {
      url: 'https://deploys.acme.com/check',
      secretEnv: 'CONVEYOR_WEBHOOK_SECRET',
      timeoutMs: 10_000,
    });
  });

  test('webhook: a timeout is a duration of at most a minute', () => {
    assert.equal(toWebhookPolicy(webhookSpec.parse({ url: 'https://x/check', timeout: '2500ms' })).timeoutMs, 2_500);
    assert.deepEqual(problems(webhookSpec, { url: 'https://x/check', timeout: 'soon' }), [
      'timeout: must be a duration such as "10s" or "500ms"',
    ]);
    assert.deepEqual(problems(webhookSpec, { url: 'https://x/check', timeout: '5m' }), [
      'timeout: must be at most "60s"',
    ]);
  });

  test('webhook: a URL that is not http(s), and a secret written in place of its variable, are refused', () => {
    assert.deepEqual(problems(webhookSpec, { url: 'ftp://x/check' }), ['url: "ftp://x/check" is not an http(s) URL']);
    assert.deepEqual(problems(webhookSpec, { url: 'https://x/check', secretEnv: 's3cr3t!' }), [
      'secretEnv: must be the name of an environment variable, such as CONVEYOR_WEBHOOK_SECRET',
    ]);
  });

  test('webhook: the secret itself is not a setting', () => {
    assert.match(problems(webhookSpec, { url: 'https://x/check', secret: 's3cr3t' })[0], /secret/);
  });
});
