/**
 * The one place payload encryption is configured: every client (CLI, intake, schedules, tests) and
 * every worker uses `engineDataConverter`, so workflow inputs, results, signals, queries, activity
 * payloads, user metadata and failure messages are AES-256-GCM ciphertext in Temporal.
 *
 *   PAYLOAD_CODEC_KEYS  "<id>:<base64 32-byte key>[,<id>:<key>…]": the first key encodes, all decode,
 *                       so a key rotates by putting the new one first and keeping the old ones.
 *
 * Without it, the key `npm start` generated for the demo (DATA_DIR/codec/demo-keys) is used, and
 * anywhere else the process refuses to start.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec, generateKeyRingText, parseKeyRing, type KeyRing } from './payload-codec';
import { ConfigurationError, dataDir } from '../config/config';

export const failureConverterPath = require.resolve('./failure-converter');

export function engineDataConverter(ring: KeyRing): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(ring)], failureConverterPath };
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

/** A secret of the demo kept under the data folder (mode 600): made by `make` on the first run, read after. */
export function demoSecret(file: string, make: () => string): { value: string; created: boolean } {
  const created = !existsSync(file);
  if (created) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${make()}\n`, { mode: 0o600 });
  }
  return { value: readFileSync(file, 'utf8').trim(), created };
}

/** For `npm start` only: the demo's key, generated under the data folder on the first run. */
export function ensureDemoKeyRing(env: NodeJS.ProcessEnv = process.env): LoadedKeyRing & { created: boolean; file: string } {
  const file = demoKeyFile(env);
  const created = !env.PAYLOAD_CODEC_KEYS && demoSecret(file, () => generateKeyRingText()).created;
  return { ...keyRingFromEnvironment(env), created, file };
}
