import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:http';
import { verifySignature } from '../../activities/webhook-check';
import { approveRelease } from '../../client/pipelines';
import { sign, newSigningKey } from '../../domain/attestation';
import { projectRoot } from '../../temporal/paths';
import { commitsByStage, startStack, status, type Stack } from '../support/stack';
import { eventually } from '../support/temporal';

const run = promisify(execFile);
const held = async (stack: Stack, service: Parameters<typeof status>[1], pair: number, gate: string) => {
  const v = (await status(stack, service)).pairs[pair]?.verdicts.find((x) => x.gate === gate);
  return v && !v.ok ? v : undefined;
};

describe('human and platform checks hold a promotion, then let it through', () => {
  let stack: Stack;
  let receiver: Server;
  let receiverUrl = '';
  let answer = { ok: false, reason: 'load test running' };
  const secret = 'webhook-test-secret';
  before(async () => {
    process.env.CONVEYOR_TEST_WEBHOOK_SECRET = secret;
    stack = await startStack();
    receiver = createServer((request, response) => {
      let raw = '';
      request.on('data', (c) => (raw += c));
      request.on('end', () => {
        const signed = verifySignature(secret, raw, String(request.headers['conveyor-signature'] ?? ''));
        response
          .writeHead(signed ? 200 : 401, { 'content-type': 'application/json' })
          .end(JSON.stringify(signed ? answer : { ok: false, reason: 'bad signature' }));
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/check`;
  });
  after(async () => {
    await stack?.stop();
    await new Promise((r) => receiver?.close(r));
  });

  test('approval: waits for a person; a typed name from the CLI does not open a gate with named approvers, a signed approval does', async () => {
    const name = `appr-${Date.now() % 1e6}`;
    const stages = ['qa01', 'st01'].map((s) => `${name}-${s}`);
    const key = newSigningKey();
    const service = await stack.launch('approval', {
      stages,
      checks: { [stages[1]]: { approval: { approvers: ['ana@acme.com'] } } },
      access: { signingKeys: [key.publicKey] },
    });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const waiting = await eventually(() => held(stack, service, 0, 'approval'), 30_000, 'the approval gate');
    assert.match(waiting.reason, /^waiting for approval since .* \(approvers: ana@acme\.com\)$/);
    await assert.rejects(
      approveRelease(stack.client, service.name, { stage: stages[1], by: 'ana@acme.com', commit: 'abcdef1' }),
      /not the one waiting/,
    );
    const env = { ...process.env, TEMPORAL_ADDRESS: stack.address, TEMPORAL_NAMESPACE: stack.namespace };
    const refused = await run(
      process.execPath,
      [`${projectRoot}/bin/conveyor.js`, 'approve', service.name, '--to', stages[1], '--by', 'ana@acme.com'],
      { env },
    ).catch((error: { stderr: string; code: number }) => error);
    assert.ok('code' in refused && refused.code !== 0, 'the CLI approval is refused');
    assert.match(
      refused.stderr,
      /ana@acme\.com is an approver of .*, but this approval is not signed by a dashboard: .*administrator access/,
    );
    assert.ok(await held(stack, service, 0, 'approval'), 'the gate still holds');

    const attestation = sign(
      {
        v: 1,
        service: service.name,
        action: 'approve',
        stage: stages[1],
        commit: merged.sha,
        identity: { provider: 'oidc', issuer: 'https://id.test', subject: 'u-1', email: 'ana@acme.com', groups: [] },
        rule: `stageChecks.${stages[1]}.approval.approvers: ana@acme.com`,
        member: 'ana@acme.com',
        at: new Date().toISOString(),
      },
      key.secretKey,
    );
    const answer = await approveRelease(stack.client, service.name, {
      stage: stages[1],
      by: 'whoever',
      comment: 'looks good',
      attestation,
    });
    assert.match(answer, /approved .* into/);
    await eventually(
      async () => (await commitsByStage(stack, service))[1] === merged.sha,
      30_000,
      'the approved promotion',
    );
  });

  test('approval works with temporal workflow update execute too', async () => {
    const name = `apcli-${Date.now() % 1e6}`;
    const stages = ['qa01', 'st01'].map((s) => `${name}-${s}`);
    const service = await stack.launch('approval-cli', {
      stages,
      checks: { [stages[1]]: { approval: { approvers: [] } } },
    });
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    await eventually(() => held(stack, service, 0, 'approval'), 30_000, 'the approval gate');
    await stack.temporal(
      'workflow',
      'update',
      'execute',
      '--workflow-id',
      `conveyor/${service.name}`,
      '--name',
      'approve',
      '--input',
      JSON.stringify({ stage: stages[1], by: 'cli-user' }),
    );
    await eventually(
      async () => (await commitsByStage(stack, service))[1] === merged.sha,
      30_000,
      'the approved promotion',
    );
  });

  test('zeroDowntime: one web dyno and no preboot hold promotion into production until fixed', async () => {
    const service = await stack.launch('zdt');
    stack.sandbox.scenario.setFormation(service.stages[2], { web: 1 });
    stack.sandbox.scenario.setFeature(service.stages[2], 'preboot', false);
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const verdict = await eventually(() => held(stack, service, 1, 'zeroDowntime'), 60_000, 'the zeroDowntime gate');
    assert.equal(verdict.reason, `${service.stages[2]} runs 1 web dyno; preboot is off`);
    stack.sandbox.scenario.setFormation(service.stages[2], { web: 2 });
    stack.sandbox.scenario.setFeature(service.stages[2], 'preboot', true);
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
      60_000,
      'the roll-out',
    );
  });

  test('ci: a failing check holds the release, naming it; a green re-run lets it go', async () => {
    const service = await stack.prepare('ci');
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    stack.sandbox.scenario.setCheck(service.repo, merged.sha, {
      name: 'test',
      status: 'completed',
      conclusion: 'failure',
    });
    await stack.start(service);
    const verdict = await eventually(() => held(stack, service, 0, 'ci'), 30_000, 'the ci gate');
    assert.match(verdict.reason, /CI failed for .*: test \(failure\)/);
    stack.sandbox.scenario.setCheck(service.repo, merged.sha, {
      name: 'test',
      status: 'completed',
      conclusion: 'success',
    });
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
      60_000,
      'the roll-out',
    );
  });

  test('webhook: a signed request; the receiver says no, then yes', async () => {
    const service = await stack.launch('hook', {
      checks: { '*': { webhook: { url: receiverUrl, secretEnv: 'CONVEYOR_TEST_WEBHOOK_SECRET', timeoutMs: 2_000 } } },
    });
    answer = { ok: false, reason: 'load test running' };
    const merged = await stack.sandbox.scenario.merge(service.pipeline);
    const verdict = await eventually(() => held(stack, service, 0, 'webhook'), 30_000, 'the webhook gate');
    assert.match(verdict.reason, /said no: load test running/);
    answer = { ok: true } as typeof answer;
    await eventually(
      async () => (await commitsByStage(stack, service)).every((c) => c === merged.sha),
      60_000,
      'the roll-out',
    );
  });
});
