import { Client, Connection } from '@temporalio/client';
import { Option, type Command } from 'commander';
import type { ConnectionFlags } from '../temporal/connection-config';
import * as settings from '../worker/settings';
import { UserError } from './errors';

export interface TemporalTarget {
  address: string;
  namespace: string;
  /** TLS, API key, metadata; a plain connection to `address` when absent. */
  connectionOptions?: () => object;
}

/** A Temporal client, or a clear error naming the address that did not answer. */
export async function connectClient({ address, namespace, connectionOptions }: TemporalTarget): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...connectionOptions?.(), address, connectTimeout: 3_000 });
    await connection.workflowService.getSystemInfo({});
  } catch (error) {
    const cause = String((error as Error).message ?? error).split('\n')[0];
    throw new UserError(
      `cannot reach the Temporal server at ${address} (${cause}; set TEMPORAL_ADDRESS or --address, or run 'npm start' for a local one)`,
    );
  }
  return new Client({ connection, namespace });
}

let flags: ConnectionFlags = {};

/**
 * Adds the `temporal` CLI's connection flags to every command (they may come before or after the
 * command name); the flags seen are used by `temporalSettings()` and `workerSettings()` below.
 */
export function addConnectionOptions(program: Command): Command {
  program
    .addOption(new Option('--address <host:port>', 'Temporal frontend (env TEMPORAL_ADDRESS; default 127.0.0.1:7233)'))
    .addOption(new Option('-n, --namespace <name>', 'Temporal namespace (env TEMPORAL_NAMESPACE; default "default")'))
    .addOption(new Option('--api-key <key>', 'API key, e.g. for Temporal Cloud; turns TLS on (env TEMPORAL_API_KEY)'))
    .addOption(new Option('--tls-cert-path <file>', 'client certificate for mTLS (env TEMPORAL_TLS_CLIENT_CERT_PATH)'))
    .addOption(new Option('--tls-key-path <file>', 'client private key for mTLS (env TEMPORAL_TLS_CLIENT_KEY_PATH)'))
    .addOption(
      new Option(
        '--tls-ca-path <file>',
        "CA certificate that signed the server's (env TEMPORAL_TLS_SERVER_CA_CERT_PATH)",
      ),
    )
    .addOption(
      new Option(
        '--tls-server-name <name>',
        'server name to verify the certificate against (env TEMPORAL_TLS_SERVER_NAME)',
      ),
    )
    .addOption(
      new Option(
        '--profile <name>',
        "profile of the temporal CLI's config file (env TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE)",
      ),
    )
    .hook('preAction', (root) => {
      flags = root.opts<ConnectionFlags>();
    });
  return program;
}

/** The Temporal connection from the flags, the environment and the profile file, and the task queue. */
export function temporalSettings(env: NodeJS.ProcessEnv = process.env) {
  return settings.temporalSettings(env, flags);
}

/** The worker's settings: the connection as above, tokens from the environment. */
export function workerSettings(env: NodeJS.ProcessEnv = process.env) {
  return settings.workerSettings(env, flags);
}
