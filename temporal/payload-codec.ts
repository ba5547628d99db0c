/**
 * Encryption of every payload Temporal stores (workflow inputs, results, signals, heartbeats), so
 * customers' personal data never sits in plain text in the Temporal service. AES-256-GCM with keys
 * from a key ring: the first key encodes, every key decodes, so keys can be rotated.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface KeyRing {
  currentId: string;
  keys: ReadonlyMap<string, Buffer>;
}

export class KeyRingError extends Error {
  override name = 'KeyRingError';
}

/** Thrown by decode; its message names the key id and never holds key material or payload content. */
export class PayloadCodecError extends Error {
  override name = 'PayloadCodecError';
}

/** `"<id>:<base64 32-byte key>[,<id>:<base64>...]"`; the first entry is the current (encoding) key. */
export function parseKeyRing(text: string): KeyRing {
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.length === 1 && entries[0] === '') throw new KeyRingError('The key ring is empty: expected "<id>:<base64 32-byte key>".');
  const keys = new Map<string, Buffer>();
  entries.forEach((entry, index) => {
    const at = `Key ring entry ${index + 1}`;
    if (entry === '') throw new KeyRingError(`${at} is empty.`);
    const colon = entry.indexOf(':');
    // Without a colon the entry may be a bare key, so it is never echoed; nor is an invalid id.
    if (colon < 0) throw new KeyRingError(`${at} has no "<id>:" prefix.`);
    const id = entry.slice(0, colon);
    if (!KEY_ID.test(id)) throw new KeyRingError(`${at} has an invalid key id: ids are 1-64 characters of A-Z a-z 0-9 . _ -.`);
    const encoded = entry.slice(colon + 1);
    if (!BASE64.test(encoded) || encoded.length % 4 !== 0) throw new KeyRingError(`${at} (id "${id}") is not valid base64.`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== KEY_BYTES) throw new KeyRingError(`${at} (id "${id}") is ${key.length} bytes long; keys must be ${KEY_BYTES} bytes.`);
    if (keys.has(id)) throw new KeyRingError(`${at} repeats key id "${id}".`);
    keys.set(id, key);
  });
  return { currentId: entries[0]!.slice(0, entries[0]!.indexOf(':')), keys };
}

export function generateKeyRingText(id = `demo-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`): string {
  if (!KEY_ID.test(id)) throw new KeyRingError('The key id is invalid: ids are 1-64 characters of A-Z a-z 0-9 . _ -.');
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

const utf8 = (bytes: Uint8Array | null | undefined): string | undefined => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly ring: KeyRing) {
    if (!ring.keys.has(ring.currentId)) throw new KeyRingError(`The key ring lacks its current key "${ring.currentId}".`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { currentId } = this.ring;
    const key = this.ring.keys.get(currentId)!;
    return payloads.map((payload) => {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(currentId) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (utf8(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const id = utf8(payload.metadata?.[KEY_ID_METADATA]);
      if (id === undefined) throw new PayloadCodecError(`An encrypted payload has no ${KEY_ID_METADATA} metadata.`);
      const key = this.ring.keys.get(id);
      if (!key) throw new PayloadCodecError(`The key ring lacks key "${id}", which encrypted this payload.`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      const failure = new PayloadCodecError(`The payload could not be decrypted with key "${id}".`);
      if (data.length < NONCE_BYTES + TAG_BYTES) throw failure;
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw failure;
      }
      // toObject gives a plain Payload (the SDK builds plain objects too) rather than a protobufjs Message.
      const Payload = temporal.api.common.v1.Payload;
      return Payload.toObject(Payload.decode(plain)) as Payload;
    });
  }
}
