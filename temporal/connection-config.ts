import { existsSync } from 'node:fs';
import {
  loadClientConfigProfile,
  toClientOptions,
  type ClientConfigProfile,
  type ConfigDataSource,
} from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

/** The `temporal` CLI's connection flags, as conveyor's CLI takes them. */
export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  apiKey?: string;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  tlsCaPath?: string;
  tlsServerName?: string;
  profile?: string;
}

/**
 * Where and how to reach Temporal. Safe to print or log: the API key and key material are only
 * reachable through `connectionOptions()`, a function that JSON and util.inspect do not open.
 */
export interface TemporalTarget {
  address: string;
  namespace: string;
  /** 'off', 'tls' (server verified), or 'mtls' (client certificate too). */
  tls: 'off' | 'tls' | 'mtls';
  /** Whether an API key is sent (never the key). */
  apiKey: boolean;
  /** Options for `NativeConnection.connect` and `Connection.connect`, secrets included. */
  connectionOptions(): NativeConnectionOptions;
}

export const DEFAULT_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_NAMESPACE = 'default';

export class ConnectionConfigError extends Error {}

/** One line saying how conveyor connects, without any secret. */
export function describeTarget(target: Pick<TemporalTarget, 'address' | 'namespace' | 'tls' | 'apiKey'>): string {
  const security = target.tls === 'off' ? 'no TLS' : target.tls === 'mtls' ? 'mTLS' : 'TLS';
  return `${target.address}, namespace ${target.namespace}, ${security}${target.apiKey ? ', API key' : ''}`;
}

function fileSource(path: string, what: string): ConfigDataSource {
  if (!existsSync(path)) throw new ConnectionConfigError(`${what} ${path}: no such file`);
  return { path };
}

function checkFile(source: ConfigDataSource | undefined, what: string): void {
  if (source && 'path' in source) fileSource(source.path, what);
}

/**
 * The connection, read the way the `temporal` CLI reads it: flags first, then the environment
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE), then the
 * profile in the TOML file shared with the CLI (TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml),
 * then 127.0.0.1:7233 and `default`. An API key turns TLS on unless TLS is disabled explicitly.
 */
export function resolveTemporalTarget(
  flags: ConnectionFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): TemporalTarget {
  const vars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  // Empty variables count as unset, as they always have for TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE here.
  for (const [name, value] of Object.entries(vars)) if (name.startsWith('TEMPORAL_') && value === '') delete vars[name];
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ profile: flags.profile || undefined, overrideEnvVars: vars });
  } catch (error) {
    const file = vars.TEMPORAL_CONFIG_FILE ?? '~/.config/temporalio/temporal.toml';
    throw new ConnectionConfigError(`Temporal profile file ${file}: ${(error as Error).message}`);
  }

  if (flags.address) profile.address = flags.address;
  if (flags.namespace) profile.namespace = flags.namespace;
  if (flags.apiKey) profile.apiKey = flags.apiKey;
  if (flags.tlsCertPath || flags.tlsKeyPath || flags.tlsCaPath || flags.tlsServerName) {
    profile.tls = {
      ...profile.tls,
      disabled: false,
      ...(flags.tlsCertPath ? { clientCert: fileSource(flags.tlsCertPath, '--tls-cert-path') } : {}),
      ...(flags.tlsKeyPath ? { clientKey: fileSource(flags.tlsKeyPath, '--tls-key-path') } : {}),
      ...(flags.tlsCaPath ? { serverCACert: fileSource(flags.tlsCaPath, '--tls-ca-path') } : {}),
      ...(flags.tlsServerName ? { serverName: flags.tlsServerName } : {}),
    };
  }
  checkFile(profile.tls?.clientCert, 'TLS client certificate');
  checkFile(profile.tls?.clientKey, 'TLS client key');
  checkFile(profile.tls?.serverCACert, 'TLS server CA certificate');
  if (!profile.tls?.disabled && !!profile.tls?.clientCert !== !!profile.tls?.clientKey) {
    throw new ConnectionConfigError(
      'a TLS client certificate needs its key and the other way round (--tls-cert-path with --tls-key-path, or TEMPORAL_TLS_CLIENT_CERT_PATH with TEMPORAL_TLS_CLIENT_KEY_PATH)',
    );
  }

  const address = profile.address || DEFAULT_ADDRESS;
  const namespace = profile.namespace || DEFAULT_NAMESPACE;
  if (!/^[^\s:]+:\d{1,5}$/.test(address) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(address)) {
    throw new ConnectionConfigError(`Temporal address '${address}' is not host:port (--address or TEMPORAL_ADDRESS)`);
  }
  const options = { ...toClientOptions({ ...profile, address, namespace }).connectionOptions };
  // The SDK's TLS options want Buffers; envconfig reads the files as Uint8Arrays.
  const tls = options.tls;
  if (tls && typeof tls === 'object') {
    const buffer = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes) : undefined);
    options.tls = {
      ...tls,
      serverRootCACertificate: buffer(tls.serverRootCACertificate),
      clientCertPair: tls.clientCertPair
        ? { crt: buffer(tls.clientCertPair.crt)!, key: buffer(tls.clientCertPair.key)! }
        : undefined,
    };
  }
  const apiKey = typeof options.apiKey === 'string' && options.apiKey.length > 0;
  const mode: TemporalTarget['tls'] = !tls ? 'off' : typeof tls === 'object' && tls.clientCertPair ? 'mtls' : 'tls';
  const target: TemporalTarget = {
    address,
    namespace,
    tls: mode,
    apiKey,
    connectionOptions: () => ({ ...options }),
  };
  return target;
}
