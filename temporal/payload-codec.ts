/**
 * Encryption of every payload Temporal stores (workflow inputs, results, signals, heartbeats), so
 * customers' personal data never sits in plain text in the Temporal service. AES-256-GCM with keys
 * from a key ring: the first key encodes, every key decodes, so keys can be rotated.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { REFUSED_PAYLOAD_FIELD, refusalSentence } from '../contracts/refused-payload';
import { connectionOfWorkflowId } from '../domain/connection';
import { nexusAnswerOwner } from './nexus-answer-owner';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
/** Whose payload it is (a connection id, or `*` for the central workflows): bound into the ciphertext. */
export const OWNER_METADATA = 'encryption-owner';
const CENTRAL_OWNER = '*';
/** A sealed text: `sealed:v1:<key id>:<base64 of nonce, ciphertext, tag>`. */
export const SEALED_TEXT_PREFIX = 'sealed:v1:';
const SEALED_TEXT = /^sealed:v1:([A-Za-z0-9._-]{1,64}):([A-Za-z0-9+/]+={0,2})$/;
/** A sealed text's additional data: its owner, marked apart from a payload's, so neither passes for the other. */
const sealedTextData = (owner: string) => `sealed-text:${owner}`;

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

/** Told of every payload the codec refuses, with the one sentence to log (a security event). */
export type RefusalReport = (sentence: string) => void;

const reportToStderr: RefusalReport = (sentence) => process.stderr.write(`${sentence}\n`);

/** The workflow or activity a payload belongs to, as a log line names it. */
function describeContext(context: SerializationContext | undefined): string {
  if (!context) return 'no workflow or activity named';
  if (context.type === 'workflow') return `workflow ${context.workflowId}`;
  return `${context.isLocal ? 'local ' : ''}activity ${context.activityId ?? '?'} of workflow ${context.workflowId ?? '?'}`;
}

/** Whose keys a payload takes: the connection its workflow belongs to, or the central side (`*`). */
function ownerOf(context: SerializationContext | undefined): string {
  const workflowId = context?.workflowId;
  return (workflowId === undefined ? undefined : connectionOfWorkflowId(workflowId)) ?? CENTRAL_OWNER;
}

const ownerLabel = (owner: string) => (owner === CENTRAL_OWNER ? 'the central workflows' : `connection ${owner}`);

/** In place of a refused payload: a value every interceptor recognises (contracts/refused-payload.ts). */
function refusedPayload(reason: string): Payload {
  return { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify({ [REFUSED_PAYLOAD_FIELD]: reason })) };
}

/** The key rings a process holds. An agent holds its own connection's only; the central side holds every ring. */
export interface KeyRings {
  /** Payloads of no connection, of connections without a ring of their own, and those written before rings were per connection. */
  central?: KeyRing;
  byConnection: ReadonlyMap<string, KeyRing>;
}

function checkedRings(rings: KeyRing | KeyRings): KeyRings {
  const all: KeyRings = 'keys' in rings ? { central: rings, byConnection: new Map() } : rings;
  for (const ring of [...(all.central ? [all.central] : []), ...all.byConnection.values()]) {
    if (!ring.keys.has(ring.currentId)) throw new KeyRingError(`The key ring lacks its current key "${ring.currentId}".`);
  }
  return all;
}

type Decrypted = { plain: Buffer } | { refused: string };

/** A fresh nonce, the ciphertext and its tag, with `additionalData` bound in. */
function encrypt(key: Buffer, plain: Uint8Array, additionalData: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(Buffer.from(additionalData));
  return Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

/** `additionalData` undefined: a payload written before payloads named their owner. */
function decrypt(key: Buffer, data: Buffer, additionalData: string | undefined): Decrypted {
  if (data.length < NONCE_BYTES + TAG_BYTES) return { refused: 'too short to be ciphertext' };
  const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES));
  if (additionalData !== undefined) decipher.setAAD(Buffer.from(additionalData));
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  try {
    return { plain: Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]) };
  } catch {
    // The key is held, the ciphertext does not authenticate with it: altered, or not made with it for this owner.
    return { refused: 'not encrypted with the key it names for the owner it names' };
  }
}

/**
 * AES-256-GCM with a ring per connection: a payload is encrypted with the ring of the connection its
 * workflow belongs to, and bound to it (the owner in its metadata, and as additional authenticated
 * data), so a payload of one client never decodes with another's key nor passes for another's.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly rings: KeyRings;

  constructor(
    rings: KeyRing | KeyRings,
    private readonly report: RefusalReport = reportToStderr,
  ) {
    this.rings = checkedRings(rings);
  }

  private ringOf(owner: string): KeyRing | undefined {
    return this.rings.byConnection.get(owner) ?? this.rings.central;
  }

  /**
   * The key `id` for a payload of `owner`: from the owner's own ring or the central one (the central
   * side may write for any connection; an agent holds no central key). A payload written before rings
   * were per connection names no owner and takes the central ring's.
   */
  private keyFor(owner: string | undefined, id: string): Buffer | 'another client' | undefined {
    const own = owner === undefined ? undefined : this.rings.byConnection.get(owner);
    const key = own?.keys.get(id) ?? this.rings.central?.keys.get(id);
    if (key) return key;
    return [...this.rings.byConnection.values()].some((ring) => ring.keys.has(id)) ? 'another client' : undefined;
  }

  private refuse(reason: string, context: SerializationContext | undefined): Payload {
    this.report(refusalSentence(reason, describeContext(context)));
    return refusedPayload(reason);
  }

  /**
   * Whose a payload without a context is: a Nexus handler's answer, the connection it answers for;
   * else (a Nexus handler's refusal) the central side's, or in a
   * process holding one client's ring only (an agent), that client's. An agent must never fail to
   * answer: a refusal it cannot encode would stop its worker.
   */
  private ownerWithout(context: SerializationContext | undefined): string {
    const answering = context ? undefined : nexusAnswerOwner();
    if (answering !== undefined) return answering;
    if (context || this.rings.central || this.rings.byConnection.size !== 1) return ownerOf(context);
    return [...this.rings.byConnection.keys()][0]!;
  }

  /**
   * `text` sealed for whoever holds `owner`'s keys (a connection id): encrypted with the current key
   * of its ring (else the central one) and bound to it, for what the engine keeps outside Temporal.
   * Undefined when this process holds no key for it.
   */
  sealText(owner: string, text: string): string | undefined {
    const ring = this.ringOf(owner);
    if (!ring) return undefined;
    const data = encrypt(ring.keys.get(ring.currentId)!, Buffer.from(text, 'utf8'), sealedTextData(owner));
    return `${SEALED_TEXT_PREFIX}${ring.currentId}:${data.toString('base64')}`;
  }

  /** The text `sealText` sealed for `owner`; undefined without its key, or when it does not authenticate (altered, another owner's). */
  openText(owner: string, sealed: string): string | undefined {
    const match = SEALED_TEXT.exec(sealed);
    if (!match) return undefined;
    const key = this.keyFor(owner, match[1]!);
    if (!Buffer.isBuffer(key)) return undefined;
    const opened = decrypt(key, Buffer.from(match[2]!, 'base64'), sealedTextData(owner));
    return 'plain' in opened ? opened.plain.toString('utf8') : undefined;
  }

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    const owner = this.ownerWithout(context);
    const ring = this.ringOf(owner);
    if (!ring) throw new PayloadCodecError(`This process holds no payload key for ${ownerLabel(owner)} (${describeContext(context)}).`);
    const key = ring.keys.get(ring.currentId)!;
    return payloads.map((payload) => {
      const data = encrypt(key, temporal.api.common.v1.Payload.encode(payload).finish(), owner);
      const metadata = { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(ring.currentId), [OWNER_METADATA]: Buffer.from(owner) };
      return { metadata, data };
    });
  }

  /**
   * Plain text where ciphertext is expected (anyone with write access to the namespace can send it)
   * is refused, never decoded into trusted input; so is ciphertext that does not authenticate, or that
   * belongs to another owner than the workflow it was handed to. A key missing from the owner's ring
   * (a rotation gone wrong) throws: the task waits until the ring is put right.
   */
  async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    return payloads.map((payload) => this.decodeOne(payload, context));
  }

  private decodeOne(payload: Payload, context: SerializationContext | undefined): Payload {
    if (utf8(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return this.refuse('not encrypted', context);
    const id = utf8(payload.metadata?.[KEY_ID_METADATA]);
    if (id === undefined) return this.refuse(`marked encrypted without its ${KEY_ID_METADATA}`, context);
    const owner = utf8(payload.metadata?.[OWNER_METADATA]);
    const expected = context ? ownerOf(context) : undefined;
    if (owner !== undefined && expected !== undefined && owner !== expected) {
      return this.refuse(`encrypted for ${ownerLabel(owner)}, handed to ${ownerLabel(expected)}`, context);
    }
    const key = this.keyFor(owner, id);
    if (key === 'another client') return this.refuse(`encrypted with key "${id}" of another client`, context);
    if (key === undefined) {
      if (!this.rings.central && !this.rings.byConnection.has(owner ?? CENTRAL_OWNER)) {
        return this.refuse(`encrypted for ${ownerLabel(owner ?? CENTRAL_OWNER)}, whose keys this process does not hold`, context);
      }
      throw new PayloadCodecError(`The key ring lacks key "${id}", which encrypted this payload.`);
    }
    const decrypted = decrypt(key, Buffer.from(payload.data ?? new Uint8Array()), owner);
    if ('refused' in decrypted) return this.refuse(`${decrypted.refused} (key "${id}")`, context);
    // toObject gives a plain Payload (the SDK builds plain objects too) rather than a protobufjs Message.
    const Payload = temporal.api.common.v1.Payload;
    return Payload.toObject(Payload.decode(decrypted.plain)) as Payload;
  }
}

/** The engine's codec among a data converter's (a worker's or client's `loadedDataConverter.payloadCodecs`), if it has one. */
export function encryptionCodecOf(codecs: readonly PayloadCodec[] | undefined): EncryptionCodec | undefined {
  return codecs?.find((codec): codec is EncryptionCodec => codec instanceof EncryptionCodec);
}
