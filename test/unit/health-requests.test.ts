// Which health facts a pass gathers for a candidate's target stage, and the policy defaults behind them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Candidate } from '../../domain/gates';
import { healthRequests } from '../../domain/health-requests';
import type { Service } from '../../domain/service';
import { observe, release, service, sha } from '../support/facts';

const candidate: Candidate = {
  pair: { index: 0, from: 'api-qa01', to: 'api-st01' },
  source: release('bbb', { version: 2 }),
  target: release('aaa'),
};
const plain: Service = { ...service, ci: false };
const production = () => {
  const observation = observe('bbb', 'aaa', 'aaa', 'aaa');
  observation.stages[1].coupling = 'production';
  return observation;
};
const incident = { statuspage: { url: 'http://127.0.0.1:9', minImpact: 'major' as const, components: [] } };
const alerts = { alertmanager: { url: 'http://127.0.0.1:9', matchers: { service: 'api' } } };
const webhook = { url: 'http://127.0.0.1:9/check', secretEnv: 'CHECK_SECRET', timeoutMs: 5_000 };

describe('the health facts a candidate needs', () => {
  const rows: {
    name: string;
    service: Service;
    observation?: ReturnType<typeof observe>;
    expect: object[];
  }[] = [
    { name: 'none when the target stage has no checks and CI is off', service: plain, expect: [] },
    {
      name: 'CI status of the source commit, on unless the service turns it off',
      service,
      expect: [{ stage: 'api-st01', ci: { repo: 'acme/api', commit: sha('bbb') } }],
    },
    {
      name: 'zero-downtime readiness blocks by default on a stage coupled as production',
      service: plain,
      observation: production(),
      expect: [{ stage: 'api-st01', zeroDowntime: { app: 'api-st01', mode: 'block' } }],
    },
    {
      name: 'zero-downtime readiness turned off for a production stage by its policy',
      service: { ...plain, checks: { 'api-st01': { zeroDowntime: 'off' } } },
      observation: production(),
      expect: [],
    },
    {
      name: "the team's own check is sent the promotion it judges",
      service: { ...plain, checks: { '*': { webhook } } },
      expect: [
        {
          stage: 'api-st01',
          webhook: {
            policy: webhook,
            body: { service: 'api', source: 'api-qa01', target: 'api-st01', release: 2, commit: sha('bbb') },
          },
        },
      ],
    },
    {
      name: 'alerts and incidents of the target stage',
      service: { ...plain, incident, checks: { 'api-st01': { alerts } } },
      expect: [{ stage: 'api-st01', incident, alerts }],
    },
  ];
  for (const row of rows)
    test(row.name, () =>
      assert.deepEqual(
        healthRequests(row.service, row.observation ?? observe('bbb', 'aaa', 'aaa', 'aaa'), [candidate]),
        row.expect,
      ),
    );
});
