// How a Temporal error becomes one line a person can act on. The errors are built the way the SDK
// hands them over (a ServiceError whose cause is grpc-js's status error): auth failures cannot be
// produced by the dev server, which takes any credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceError } from '@temporalio/client';
import { explainTemporalError } from '../../client/errors';

const grpc = (code: number, details: string) =>
  new ServiceError('Failed to call Temporal', {
    cause: Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} }),
  });
const where = { address: 'acme.tmprl.cloud:7233', namespace: 'acme', taskQueue: 'conveyor' };

test('refused credentials name the namespace and the flags to check: exit 3', () => {
  for (const code of [16, 7]) {
    const explained = explainTemporalError(grpc(code, 'Request unauthorized.'), where);
    assert.equal(
      explained?.message,
      'Temporal refused the credentials for namespace "acme": Request unauthorized. (check --api-key, the mTLS certificate or the profile)',
    );
    assert.equal(explained?.exitCode, 3);
  }
});

test('a TLS failure says TLS and which flags set it up: exit 3', () => {
  const explained = explainTemporalError(grpc(14, 'SSL routines:ssl3_get_record:wrong version number'), where);
  assert.match(explained!.message, /^TLS failed talking to acme\.tmprl\.cloud:7233: SSL routines/);
  assert.equal(explained?.exitCode, 3);
});

test('a query no worker answered is the no-worker line', () => {
  assert.equal(
    explainTemporalError(grpc(4, 'query timed out before a worker could process it'), where)?.message,
    'no worker is polling task queue conveyor: is `conveyor worker` running?',
  );
  assert.equal(
    explainTemporalError(grpc(9, 'no poller seen for task queue recently, worker may be down'), where)?.message,
    'no worker is polling task queue conveyor: is `conveyor worker` running?',
  );
});

test('a search attribute the namespace lacks comes with the command that registers it', () => {
  const explained = explainTemporalError(grpc(3, 'search attribute ConveyorPaused is not defined'), where);
  assert.equal(
    explained?.message,
    'search attribute ConveyorPaused is not registered in namespace "acme": run `temporal operator search-attribute create --namespace acme --name ConveyorPaused --type Bool` (see the README)',
  );
  assert.equal(explained?.exitCode, 1);
});

test('an error that is not about reaching Temporal is left for the stack trace', () => {
  assert.equal(explainTemporalError(new TypeError('x is undefined'), where), undefined);
  assert.equal(explainTemporalError(grpc(13, 'internal error'), where), undefined);
});
