/**
 * heroku-client (3.1.4) reads every file SSL_CERT_FILE names and every file in SSL_CERT_DIR again for
 * each request, on the event loop, and hands them to that request as its only trusted CAs. With a
 * system folder (/etc/ssl/certs, some 300 files) that is about 10 ms of a core per Heroku call: at 25
 * pipelines the bench's worker spent most of its main thread on it. The worker says so when it starts.
 */

/** The variables heroku-client reads certificate files from on every request. */
export const CERTIFICATE_VARIABLES = ['SSL_CERT_FILE', 'SSL_CERT_DIR'] as const;

export function certificateVariablesWarning(env: NodeJS.ProcessEnv): string | undefined {
  const set = CERTIFICATE_VARIABLES.filter((name) => env[name]);
  if (set.length === 0) return undefined;
  return (
    `${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} set: heroku-client reads every certificate file named ` +
    'there again for each Heroku request (about 10 ms of CPU each for a system folder); unset ' +
    `${set.length > 1 ? 'them' : 'it'} unless a private CA needs ${set.length > 1 ? 'them' : 'it'}`
  );
}
