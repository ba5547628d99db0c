/**
 * Where Temporal is, from the environment, so the same worker and CLI run against the embedded dev
 * server, a self-hosted cluster or Temporal Cloud:
 *   TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE (default "default"),
 *   TEMPORAL_API_KEY (Temporal Cloud API key; implies TLS),
 *   TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY (paths to an mTLS client certificate and key),
 *   TEMPORAL_TLS_CA (path to a server CA), TEMPORAL_TLS_SERVER_NAME,
 *   TEMPORAL_TLS=false (an API key over plain gRPC: a self-hosted cluster behind its own TLS, or a test's server).
 */
import { readFileSync } from 'node:fs';

export interface TemporalSettings {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?:
    | false
    | {
        serverNameOverride?: string;
        serverRootCACertificate?: Buffer;
        clientCertPair?: { crt: Buffer; key: Buffer };
      };
}

export function temporalSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const settings: TemporalSettings = {
    address: env.TEMPORAL_ADDRESS ?? 'localhost:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
  };
  if (env.TEMPORAL_API_KEY) settings.apiKey = env.TEMPORAL_API_KEY;
  const wantsTls = Boolean(env.TEMPORAL_API_KEY || env.TEMPORAL_TLS_CERT || env.TEMPORAL_TLS_CA || env.TEMPORAL_TLS === 'true');
  if (env.TEMPORAL_TLS === 'false') {
    if (env.TEMPORAL_TLS_CERT || env.TEMPORAL_TLS_CA) throw new Error('TEMPORAL_TLS=false, yet TEMPORAL_TLS_CERT or TEMPORAL_TLS_CA is set: choose one');
    settings.tls = false;
  } else if (wantsTls) {
    settings.tls = {};
    if (env.TEMPORAL_TLS_SERVER_NAME) settings.tls.serverNameOverride = env.TEMPORAL_TLS_SERVER_NAME;
    if (env.TEMPORAL_TLS_CA) settings.tls.serverRootCACertificate = readFileSync(env.TEMPORAL_TLS_CA);
    if (env.TEMPORAL_TLS_CERT || env.TEMPORAL_TLS_KEY) {
      if (!env.TEMPORAL_TLS_CERT || !env.TEMPORAL_TLS_KEY) {
        throw new Error('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both paths, or neither');
      }
      settings.tls.clientCertPair = { crt: readFileSync(env.TEMPORAL_TLS_CERT), key: readFileSync(env.TEMPORAL_TLS_KEY) };
    }
  }
  return settings;
}

/** Options for `Connection.connect` (client) and `NativeConnection.connect` (worker); both take this shape. */
export function connectionOptions(settings: TemporalSettings) {
  return {
    address: settings.address,
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
    ...(settings.tls !== undefined ? { tls: settings.tls } : {}),
  };
}
