// heroku-client (3.1.4, lib/request.js getCerts) reads every file SSL_CERT_FILE names and every file in
// SSL_CERT_DIR again for each request it makes, on the event loop, to give them to that request as its
// CAs. Where a machine sets both (this one: /etc/ssl/certs, 292 entries, and its 200 KB bundle), that is
// about 9 ms of a core per request, 10 times what the sandbox takes to answer it: a bench run with them
// would measure the machine's certificate folder, not conveyor. Conveyor's app.json, Dockerfile and
// Procfile set neither; `--keep-ssl-env` keeps them, to measure what they cost.

import { CERTIFICATE_VARIABLES } from '../worker/certificate-variables';

/**
 * Unsets them in this process (so its own heroku-client calls, and the environment it hands on, go
 * without); answers what was unset, to say so in the report. `keep`: leave them as they are.
 */
export function withoutCertificateFiles(keep: boolean): string[] {
  if (keep) return [];
  const unset = CERTIFICATE_VARIABLES.filter((name) => process.env[name] !== undefined);
  for (const name of unset) delete process.env[name];
  return unset;
}
