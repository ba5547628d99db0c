/**
 * The one place payload encryption is configured: every client (CLI, intake, schedules, tests) and
 * every worker uses `engineDataConverter`, so workflow inputs, results, signals, queries, activity
 * payloads, user metadata and failure messages are AES-256-GCM ciphertext in Temporal.
 *
 *   PAYLOAD_CODEC_KEYS  "<id>:<base64 32-byte key>[,<id>:<key>…]": the first key encodes, all decode,
 *                       so a key rotates by putting the new one first and keeping the old ones.
 *   PAYLOAD_CODEC_KEYS_<CONNECTION_ID>  a ring of one connection's own (`acme-omni` → `_ACME_OMNI`):
 *                       its workflows' payloads are encrypted with it. An agent is given its own only.
 *
 * Without it, the key `npm start` generated for the demo (DATA_DIR/codec/demo-keys) is used, and
 * anywhere else the process refuses to start.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec, generateKeyRingText, KeyRingError, parseKeyRing, type KeyRing, type KeyRings, type RefusalReport } from './payload-codec';
import { ConfigurationError, dataDir } from '../config/config';
import { makePrivateDirectory, PRIVATE_FILE } from '../store/private-files';

export const failureConverterPath = require.resolve('./failure-converter');

/** `report` hears of every payload refused (plain text, or ciphertext that does not authenticate): a worker logs it. */
export function engineDataConverter(rings: KeyRing | KeyRings, report?: RefusalReport): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(rings, report)], failureConverterPath };
}

export function demoKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), 'codec', 'demo-keys');
}

export interface LoadedKeyRing {
  ring: KeyRing;
  /** Where it came from, for the one line a process prints at start. */
  origin: 'PAYLOAD_CODEC_KEYS' | 'demo key';
}

export function keyRingFromEnvironment(env: NodeJS.ProcessEnv = process.env): LoadedKeyRing {
  if (env.PAYLOAD_CODEC_KEYS) return { ring: parseKeyRing(env.PAYLOAD_CODEC_KEYS), origin: 'PAYLOAD_CODEC_KEYS' };
  const demo = demoKeyFile(env);
  if (existsSync(demo)) return { ring: parseKeyRing(readFileSync(demo, 'utf8').trim()), origin: 'demo key' };
  throw new ConfigurationError('No payload encryption key: set PAYLOAD_CODEC_KEYS to "<id>:<base64 32-byte key>" (`npm run cli -- keys generate` prints one)');
}

const CONNECTION_RING_PREFIX = 'PAYLOAD_CODEC_KEYS_';

/** The variable that holds a connection's own key ring. */
export function connectionKeyRingVariable(connectionId: string): string {
  return `${CONNECTION_RING_PREFIX}${connectionId.toUpperCase().replaceAll('-', '_')}`;
}

/** Every `PAYLOAD_CODEC_KEYS_<CONNECTION_ID>` set in `env`, by connection id. */
function connectionKeyRings(env: NodeJS.ProcessEnv): Map<string, KeyRing> {
  const rings = new Map<string, KeyRing>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(CONNECTION_RING_PREFIX) || !value) continue;
    const connectionId = name.slice(CONNECTION_RING_PREFIX.length).toLowerCase().replaceAll('_', '-');
    try {
      rings.set(connectionId, parseKeyRing(value));
    } catch (error) {
      throw new KeyRingError(`${name}: ${(error as Error).message}`);
    }
  }
  return rings;
}

/**
 * This process's key rings: the central one (PAYLOAD_CODEC_KEYS, or the demo's key) and each
 * connection's own. An agent may hold its connection's ring alone; anything else needs the central one.
 */
export function keyRingsFromEnvironment(env: NodeJS.ProcessEnv = process.env): KeyRings {
  const byConnection = connectionKeyRings(env);
  if (byConnection.size > 0 && !env.PAYLOAD_CODEC_KEYS && !existsSync(demoKeyFile(env))) return { byConnection };
  return { central: keyRingFromEnvironment(env).ring, byConnection };
}

/** A secret of the demo kept under the data folder (file 0600, folders 0700): made by `make` on the first run, read after. */
export function demoSecret(file: string, make: () => string): { value: string; created: boolean } {
  const created = !existsSync(file);
  if (created) {
    makePrivateDirectory(dirname(file));
    writeFileSync(file, `${make()}\n`, PRIVATE_FILE);
  }
  return { value: readFileSync(file, 'utf8').trim(), created };
}

/** For `npm start` only: the demo's key, generated under the data folder on the first run. */
export function ensureDemoKeyRing(env: NodeJS.ProcessEnv = process.env): LoadedKeyRing & { created: boolean; file: string } {
  const file = demoKeyFile(env);
  const created = !env.PAYLOAD_CODEC_KEYS && demoSecret(file, () => generateKeyRingText()).created;
  return { ...keyRingFromEnvironment(env), created, file };
}
