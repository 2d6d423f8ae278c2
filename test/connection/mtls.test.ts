// mTLS for real: the self-hosted Temporal server configured for TLS (client certificates required)
// with certificates this test makes with openssl; the worker and the CLI connect the Temporal way.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startCluster, type Cluster } from '../../temporal/cluster';
import { projectRoot } from '../../temporal/paths';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { conveyorWorker, type WorkerProcess } from '../cluster/support';
import { eventually } from '../support/temporal';

const run = promisify(execFile);

/** A CA, a server certificate for localhost/127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(dir: string) {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=conveyor test CA',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
  );
  const issue = (name: string, cn: string, ext: string) => {
    writeFileSync(file(`${name}.ext`), ext);
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.csr`),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      file(`${name}.ext`),
      '-out',
      file(`${name}.pem`),
    );
  };
  issue('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  issue('client', 'conveyor-worker', 'extendedKeyUsage=clientAuth\n');
  return {
    ca: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
  };
}

describe('mTLS to a Temporal server that requires client certificates', () => {
  let cluster: Cluster;
  let sandbox: Sandbox;
  let certs: ReturnType<typeof makeCertificates>;
  let worker: WorkerProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-mtls-'));

  before(async () => {
    certs = makeCertificates(dir);
    cluster = await startCluster({
      tls: { caFile: certs.ca, certFile: certs.serverCert, keyFile: certs.serverKey, serverName: 'localhost' },
    });
    sandbox = await startSandbox({ promotionDelayMs: 200, releasePhaseMs: 100 });
  });
  after(async () => {
    worker?.child.kill('SIGKILL');
    await sandbox?.stop();
    await cluster?.stop();
  });

  const tlsFlags = () => [
    '--address',
    cluster.address,
    '--tls-ca-path',
    certs.ca,
    '--tls-cert-path',
    certs.clientCert,
    '--tls-key-path',
    certs.clientKey,
    '--tls-server-name',
    'localhost',
  ];
  const conveyor = async (...args: string[]) =>
    (
      await run(process.execPath, [join(projectRoot, 'bin', 'conveyor.js'), ...args], {
        env: { ...process.env, TEMPORAL_ADDRESS: '' },
      })
    ).stdout;

  test('without a client certificate the CLI is refused with one clear line', async () => {
    const refused = await conveyor(
      'list',
      '--address',
      cluster.address,
      '--tls-ca-path',
      certs.ca,
      '--tls-server-name',
      'localhost',
    ).then(
      () => assert.fail('the server let a client without a certificate in'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.notEqual(refused.code, 0);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, new RegExp(`conveyor: .*${cluster.address.replace(/\./g, '\\.')}`));
  });

  test('the worker (TEMPORAL_TLS_* variables) and the CLI (--tls-* flags) connect over mTLS and a pipeline promotes', async () => {
    const name = 'mtls-svc';
    const stages = ['qa01', 'st01', 'va01'].map((s) => `${name}-${s}`);
    await sandbox.scenario.createService({ name, repo: `acme/${name}`, stages, branch: 'main' });
    const file = join(dir, 'services.json');
    writeFileSync(
      file,
      JSON.stringify({ services: [{ name, pipeline: name, stages, repo: `acme/${name}`, minAge: '1s', tick: '2s' }] }),
    );

    worker = await conveyorWorker({
      ...process.env,
      TEMPORAL_ADDRESS: cluster.address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca,
      TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
      HEROKU_API_URL: sandbox.herokuUrl,
      HEROKU_API_KEY: sandbox.token,
      GITHUB_API_URL: sandbox.githubUrl,
      GITHUB_TOKEN: sandbox.token,
    });
    const running = worker.lines.find((line) => line.msg === 'worker running')!;
    assert.match(String(running.temporal), /mTLS/);

    assert.match(await conveyor('apply', '-f', file, '--skip-coupling-check', ...tlsFlags()), /conveyor\/mtls-svc/);
    const merged = await sandbox.scenario.merge(name);
    await eventually(
      async () => {
        const status = JSON.parse(await conveyor('status', name, '--json', ...tlsFlags()));
        return status.stages.every((s: { commit: string | null }) => s.commit === merged.sha);
      },
      90_000,
      'the roll-out over mTLS',
    );
    // No key material in what the worker logged.
    const logged = JSON.stringify(worker.lines);
    assert.doesNotMatch(logged, /PRIVATE KEY|BEGIN CERTIFICATE/);
  });
});
