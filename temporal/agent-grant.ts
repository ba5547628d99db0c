/**
 * Grants: the central side's Ed25519 signature over what it asks a confined agent to do. The
 * open-source Temporal server lets any namespace call any Nexus endpoint, so an agent's endpoint
 * trusts a request only with a grant: for this connection, this operation and, for a raise, this
 * order and this exact document. The central workers hold the private key; agents hold the public key.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export const GRANT_SIGNING_KEY_VARIABLE = 'AGENT_GRANT_SIGNING_KEY';
export const GRANT_VERIFY_KEY_VARIABLE = 'AGENT_GRANT_VERIFY_KEY';

/** What a grant allows: a raise of one order's document, or the catalog calls (pages, removed products, probes) of a connection. */
export type GrantSubject = { connectionId: string; operation: 'raise'; orderCode: string; document: unknown } | { connectionId: string; operation: 'catalog' };

export class AgentGrantKeyError extends Error {
  override name = 'AgentGrantKeyError';
}

function signedText(subject: GrantSubject): Buffer {
  const parts = ['s2s-agent-grant/v1', subject.connectionId, subject.operation];
  if (subject.operation === 'raise') parts.push(subject.orderCode, createHash('sha256').update(JSON.stringify(subject.document)).digest('hex'));
  return Buffer.from(parts.join('\n'));
}

export function signGrant(privateKey: KeyObject, subject: GrantSubject): string {
  return sign(null, signedText(subject), privateKey).toString('base64url');
}

/** True only for a grant the central key made for exactly this subject. */
export function grantAllows(publicKey: KeyObject, grant: unknown, subject: GrantSubject): boolean {
  if (typeof grant !== 'string' || !/^[A-Za-z0-9_-]{86}$/.test(grant)) return false;
  const signature = Buffer.from(grant, 'base64url');
  // One spelling per signature: the last character's unused bits must be zero, so no altered grant passes.
  if (signature.toString('base64url') !== grant) return false;
  return verify(null, signedText(subject), publicKey, signature);
}

/** A fresh key pair, as the two variables hold them (base64 DER: PKCS#8 private, SPKI public). */
export function generateGrantKeys(): { signingKey: string; verifyKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    signingKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    verifyKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

function parsedKey<T>(variable: string, text: string, parse: (der: Buffer) => T): T {
  try {
    return parse(Buffer.from(text.trim(), 'base64'));
  } catch {
    throw new AgentGrantKeyError(`${variable} is not a base64 Ed25519 key (npm run cli -- keys generate --grants prints a pair)`);
  }
}

/** The public half of the central side's key, as AGENT_GRANT_VERIFY_KEY holds it. */
export function verifyKeyText(signingKey: KeyObject): string {
  return createPublicKey(signingKey).export({ format: 'der', type: 'spki' }).toString('base64');
}

export function signingKeyFromEnv(env: NodeJS.ProcessEnv = process.env): KeyObject | undefined {
  const text = env[GRANT_SIGNING_KEY_VARIABLE];
  return text ? parsedKey(GRANT_SIGNING_KEY_VARIABLE, text, (der) => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })) : undefined;
}

export function verifyKeyFromEnv(env: NodeJS.ProcessEnv = process.env): KeyObject | undefined {
  const text = env[GRANT_VERIFY_KEY_VARIABLE];
  return text ? parsedKey(GRANT_VERIFY_KEY_VARIABLE, text, (der) => createPublicKey({ key: der, format: 'der', type: 'spki' })) : undefined;
}
