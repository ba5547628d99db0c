/**
 * Who may have the codec server decode: one of three modes, chosen from the environment in one place
 * (`codecAuthFromEnv`), never a secret in a URL.
 *
 *   loopback  the demo (`npm start`): callers on this machine's loopback, whose Origin (when they send
 *             one) is the Web UI's. Anyone who can reach loopback here can read decoded data.
 *   token     `Authorization: Bearer <CODEC_SERVER_TOKEN>` (the `temporal` CLI's `--codec-auth`, scripts).
 *   oidc      the Web UI user's OIDC access token (`codec.passAccessToken`), verified against the
 *             issuer's JWKS (signature, iss, aud, exp/nbf) and a role claim.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { ConfigurationError } from '../config/config';

export interface OidcCodecAuth {
  kind: 'oidc';
  issuer: string;
  audience: string;
  /** Default: the `jwks_uri` of the issuer's `/.well-known/openid-configuration`. */
  jwksUrl?: string;
  /** A claim name, or a dotted path into nested claims (`realm_access.roles`). */
  roleClaim: string;
  role: string;
}

export type CodecAuth = { kind: 'loopback' } | { kind: 'token'; token: string } | OidcCodecAuth;

export type AuthVerdict = { ok: true } | { ok: false; status: 401 | 403 | 503; reason: string };
export type Authorizer = (req: IncomingMessage) => Promise<AuthVerdict>;

export const DEFAULT_ROLE_CLAIM = 'roles';
const MIN_TOKEN_LENGTH = 16;
/** Asymmetric signatures only: an HMAC or `none` token is refused whatever the JWKS holds. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

const text = z.string().trim().min(1).optional();
const EnvSchema = z.object({
  CODEC_SERVER_TOKEN: text,
  CODEC_OIDC_ISSUER: z.url().optional(),
  CODEC_OIDC_AUDIENCE: text,
  CODEC_OIDC_JWKS_URL: z.url().optional(),
  CODEC_OIDC_ROLE_CLAIM: text,
  CODEC_OIDC_ROLE: text,
});

/** The one place the mode is chosen: OIDC when CODEC_OIDC_ISSUER is set, a shared token with CODEC_SERVER_TOKEN, else loopback. */
export function codecAuthFromEnv(env: NodeJS.ProcessEnv = process.env): CodecAuth {
  const blank = (value: string | undefined) => (value === '' ? undefined : value);
  const parsed = EnvSchema.safeParse(Object.fromEntries(Object.keys(EnvSchema.shape).map((name) => [name, blank(env[name])])));
  if (!parsed.success) {
    throw new ConfigurationError(`Codec server: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  const e = parsed.data;
  const oidcNames = Object.keys(e).filter((name) => name.startsWith('CODEC_OIDC_') && e[name as keyof typeof e] !== undefined);
  if (e.CODEC_OIDC_ISSUER) {
    if (e.CODEC_SERVER_TOKEN) throw new ConfigurationError('Codec server: set CODEC_OIDC_ISSUER or CODEC_SERVER_TOKEN, not both');
    const missing = (['CODEC_OIDC_AUDIENCE', 'CODEC_OIDC_ROLE'] as const).filter((name) => !e[name]);
    if (missing.length > 0) throw new ConfigurationError(`Codec server: CODEC_OIDC_ISSUER is set, so ${missing.join(' and ')} must be too`);
    return {
      kind: 'oidc',
      issuer: e.CODEC_OIDC_ISSUER,
      audience: e.CODEC_OIDC_AUDIENCE!,
      ...(e.CODEC_OIDC_JWKS_URL ? { jwksUrl: e.CODEC_OIDC_JWKS_URL } : {}),
      roleClaim: e.CODEC_OIDC_ROLE_CLAIM ?? DEFAULT_ROLE_CLAIM,
      role: e.CODEC_OIDC_ROLE!,
    };
  }
  // Half an OIDC configuration must not fall back to a weaker mode unnoticed.
  if (oidcNames.length > 0) throw new ConfigurationError(`Codec server: ${oidcNames.join(', ')} set without CODEC_OIDC_ISSUER`);
  if (e.CODEC_SERVER_TOKEN) {
    if (e.CODEC_SERVER_TOKEN.length < MIN_TOKEN_LENGTH)
      throw new ConfigurationError(`Codec server: CODEC_SERVER_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters`);
    return { kind: 'token', token: e.CODEC_SERVER_TOKEN };
  }
  return { kind: 'loopback' };
}

/** Who can read decoded data through a codec server in this mode, in words for a person. */
export function describeCodecAuth(auth: CodecAuth): string {
  switch (auth.kind) {
    case 'loopback':
      return 'loopback mode, no token: anyone who can reach loopback on this machine (every local user and process) can read decoded data through it; nobody from another machine';
    case 'token':
      return 'token mode (CODEC_SERVER_TOKEN): only callers sending Authorization: Bearer <token> (temporal --codec-auth) can read decoded data; a Web UI without OIDC cannot, and shows ciphertext';
    case 'oidc':
      return `OIDC mode: only holders of an access token from ${auth.issuer} for ${auth.audience} with '${auth.role}' in '${auth.roleClaim}' can read decoded data`;
  }
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.')) || /^::ffff:127\./.test(bare);
}

/** `host[:port]` of a Host header or URL, without the port. */
const hostName = (authority: string): string => (authority.startsWith('[') ? authority.slice(0, authority.indexOf(']') + 1) : authority.split(':')[0]!);

const bearer = (req: IncomingMessage): string | undefined => /^Bearer ([^\s]+)$/.exec(req.headers.authorization ?? '')?.[1];
const refuse = (status: 401 | 403 | 503, reason: string): AuthVerdict => ({ ok: false, status, reason });

function loopbackAuthorizer(allowedOrigins: readonly string[]): Authorizer {
  return async (req) => {
    if (!isLoopbackHost(req.socket.remoteAddress ?? '')) return refuse(403, 'forbidden: not a loopback caller');
    // A page of another site that rebinds its name to 127.0.0.1 names itself in Host and Origin.
    if (!isLoopbackHost(hostName(req.headers.host ?? ''))) return refuse(403, 'forbidden: Host is not a loopback name');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.includes(origin)) return refuse(403, 'forbidden: Origin is not the Web UI');
    return { ok: true };
  };
}

function tokenAuthorizer(token: string): Authorizer {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  const expected = digest(token);
  return async (req) => {
    const presented = bearer(req);
    return presented !== undefined && timingSafeEqual(digest(presented), expected) ? { ok: true } : refuse(401, 'unauthorized');
  };
}

/** An issuer or JWKS must be fetched over https: a key set read in the clear could be anyone's. Loopback is exempt. */
function secureUrl(value: string, what: string): URL {
  const url = new URL(value);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new ConfigurationError(`Codec server: ${what} must be an https URL (got ${url.origin})`);
  }
  return url;
}

const DiscoverySchema = z.object({ issuer: z.string(), jwks_uri: z.url() });

async function discoverJwksUrl(issuer: string): Promise<string> {
  const url = secureUrl(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, 'CODEC_OIDC_ISSUER');
  let document: unknown;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    document = await response.json();
  } catch (error) {
    throw new ConfigurationError(`Codec server: could not read ${url.href} (${(error as Error).message}); set CODEC_OIDC_JWKS_URL, or check CODEC_OIDC_ISSUER`);
  }
  const parsed = DiscoverySchema.safeParse(document);
  if (!parsed.success) throw new ConfigurationError(`Codec server: ${url.href} names no jwks_uri`);
  // OpenID Connect Discovery §4.3: the document's issuer is exactly the one asked for.
  if (parsed.data.issuer !== issuer)
    throw new ConfigurationError(`Codec server: ${url.href} is the configuration of issuer ${parsed.data.issuer}, not ${issuer}`);
  return parsed.data.jwks_uri;
}

/** A string claim may hold several space-separated values (as `scope` does); an array, several strings. */
function hasRole(payload: JWTPayload, claim: string, role: string): boolean {
  const value = claim in payload ? payload[claim] : claim.split('.').reduce<unknown>((at, key) => (isRecord(at) ? at[key] : undefined), payload);
  if (Array.isArray(value)) return value.includes(role);
  return typeof value === 'string' && value.split(' ').includes(role);
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

async function oidcAuthorizer(auth: OidcCodecAuth): Promise<Authorizer> {
  const jwks = createRemoteJWKSet(secureUrl(auth.jwksUrl ?? (await discoverJwksUrl(auth.issuer)), 'the JWKS URL'));
  const options = { issuer: auth.issuer, audience: auth.audience, algorithms: ALGORITHMS, requiredClaims: ['exp'], clockTolerance: 30 };
  return async (req) => {
    const token = bearer(req);
    if (token === undefined) return refuse(401, 'unauthorized: no bearer token');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, options));
    } catch (error) {
      if (!(error instanceof errors.JOSEError) || error.code === 'ERR_JWKS_TIMEOUT') return refuse(503, 'the issuer key set could not be read');
      const claim = error instanceof errors.JWTClaimValidationFailed ? ` (${error.claim})` : '';
      return refuse(401, `unauthorized: ${error.code}${claim}`);
    }
    return hasRole(payload, auth.roleClaim, auth.role) ? { ok: true } : refuse(403, `forbidden: no '${auth.role}' in '${auth.roleClaim}'`);
  };
}

/**
 * The check every encode and decode request passes first. Loopback mode serves loopback only; OIDC
 * mode reads the issuer's configuration now, so a wrong one stops the start.
 */
export async function createAuthorizer(auth: CodecAuth, where: { allowedOrigins: readonly string[]; listenHost: string }): Promise<Authorizer> {
  switch (auth.kind) {
    case 'loopback':
      if (!isLoopbackHost(where.listenHost)) {
        throw new ConfigurationError(
          `The codec server's loopback mode listens on loopback only, not ${where.listenHost}: set CODEC_OIDC_ISSUER (or CODEC_SERVER_TOKEN) to serve other machines`,
        );
      }
      return loopbackAuthorizer(where.allowedOrigins);
    case 'token':
      if (!auth.token) throw new ConfigurationError('Codec server: token mode needs a non-empty token');
      return tokenAuthorizer(auth.token);
    case 'oidc':
      return oidcAuthorizer(auth);
  }
}
