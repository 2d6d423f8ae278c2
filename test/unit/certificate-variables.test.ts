import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateVariablesWarning } from '../../worker/certificate-variables';

describe('the worker warns when heroku-client would read certificate files on every request', () => {
  const rows: { name: string; env: NodeJS.ProcessEnv; says: RegExp | undefined }[] = [
    { name: 'neither set: nothing said', env: {}, says: undefined },
    { name: 'an empty value counts as unset', env: { SSL_CERT_DIR: '' }, says: undefined },
    {
      name: 'SSL_CERT_FILE set: named',
      env: { SSL_CERT_FILE: '/etc/ssl/cert.pem' },
      says: /^SSL_CERT_FILE is set: .* unset it unless/,
    },
    {
      name: 'both set: both named',
      env: { SSL_CERT_FILE: '/etc/ssl/cert.pem', SSL_CERT_DIR: '/etc/ssl/certs' },
      says: /^SSL_CERT_FILE and SSL_CERT_DIR are set: .*each Heroku request.* unset them unless/,
    },
  ];
  for (const row of rows)
    test(row.name, () => {
      const warning = certificateVariablesWarning(row.env);
      if (row.says) assert.match(warning ?? '', row.says);
      else assert.equal(warning, undefined);
    });
});
