/**
 * A codec server (Temporal's remote codec protocol) so the Web UI and `temporal` CLI can show payloads
 * that the workers encrypted: `POST <endpoint>/encode` and `POST <endpoint>/decode`, each taking and
 * answering `{"payloads":[...]}` as proto3 JSON (every bytes field base64).
 *
 *   POST /codec/encode, /codec/decode   who may call them is `CodecServerOptions.auth` (codec-auth.ts):
 *                                       loopback callers, a bearer token, or an OIDC access token;
 *                                       no secret is ever part of a path
 *   GET  /health
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createAuthorizer, type AuthVerdict, type CodecAuth } from './codec-auth';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Who may encode and decode; `codecAuthFromEnv` chooses it. Loopback mode listens on loopback only. */
  auth: CodecAuth;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Browser origins (e.g. the Web UI's `http://localhost:8233`) given CORS access. */
  allowedOrigins: string[];
  /** Default 4 MB. */
  maxBodyBytes?: number;
  /** One structured line per rejected request; default a JSON line on stdout. */
  log?: (line: Record<string, unknown>) => void;
}

export interface CodecServer {
  url: string;
  /** For `temporal server start-dev --ui-codec-endpoint` (and `--codec-endpoint`): it carries no secret. */
  uiEndpoint: string;
  close(): Promise<void>;
}

const Payloads = temporal.api.common.v1.Payloads;
const ROUTE_WORDS = new Set(['codec', 'encode', 'decode', 'health']);

class Rejection extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly body: Record<string, unknown> = { error: reason },
    readonly headers: Record<string, string> = {},
  ) {
    super(reason);
  }
}

/** Every path segment that is not a route word is redacted: an old client may still send a token there. */
const redactPath = (path: string): string =>
  path
    .split('/')
    .map((segment) => (segment === '' || ROUTE_WORDS.has(segment) ? segment : ':redacted'))
    .join('/');

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new Rejection(413, 'body too large', { error: `body exceeds ${limit} bytes` });
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Rejection(400, 'request aborted'));
    });
  });
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** proto3 JSON → Payloads; protobufjs's fromObject skips fields of the wrong type silently, so the shape is checked first. */
function parsePayloads(body: Buffer): Payload[] {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new Rejection(400, 'body is not JSON');
  }
  const shapeError = new Rejection(400, 'body is not {"payloads":[{"metadata":{...},"data":"<base64>"}]}');
  if (!isRecord(json) || (json.payloads !== undefined && !Array.isArray(json.payloads))) throw shapeError;
  for (const payload of (json.payloads as unknown[] | undefined) ?? []) {
    if (!isRecord(payload)) throw shapeError;
    if (payload.data !== undefined && typeof payload.data !== 'string') throw shapeError;
    if (payload.metadata !== undefined && !(isRecord(payload.metadata) && Object.values(payload.metadata).every((v) => typeof v === 'string'))) {
      throw shapeError;
    }
  }
  try {
    return Payloads.fromObject(json).payloads;
  } catch {
    throw new Rejection(400, 'body holds invalid base64');
  }
}

const serializePayloads = (payloads: Payload[]): string => JSON.stringify(Payloads.toObject(Payloads.fromObject({ payloads }), { bytes: String }));

/** What a preflight from an allowed origin is told it may send. */
const PREFLIGHT_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'content-type, x-namespace, authorization',
  'Access-Control-Max-Age': '600',
};

/** A generic answer for the caller; the reason goes to the log only. */
function refusal({ status, reason }: Extract<AuthVerdict, { ok: false }>): Rejection {
  const answer = { 401: 'unauthorized', 403: 'forbidden', 503: 'unavailable' }[status];
  return new Rejection(status, reason, { error: answer }, status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
}

async function transcode(codec: PayloadCodec, action: 'encode' | 'decode', payloads: Payload[]): Promise<Payload[]> {
  if (action === 'encode') return codec.encode(payloads);
  try {
    return await codec.decode(payloads);
  } catch (error) {
    // Our codec's messages name a key id only; another codec's might quote content, so they are not echoed.
    const message = error instanceof Error && error.name === 'PayloadCodecError' ? error.message : 'payloads could not be decoded';
    throw new Rejection(422, 'decode failed', { error: message });
  }
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const { codec, allowedOrigins, auth } = options;
  const listenHost = options.host ?? '127.0.0.1';
  const authorize = await createAuthorizer(auth, { allowedOrigins, listenHost });
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const log = options.log ?? ((line) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), component: 'codec-server', ...line })}\n`));

  function corsHeaders(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    if (!origin || !allowedOrigins.includes(origin)) return {};
    return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin', 'Access-Control-Allow-Credentials': 'true' };
  }

  function send(req: IncomingMessage, res: ServerResponse, status: number, body?: unknown, extra: Record<string, string> = {}): void {
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      ...corsHeaders(req),
      ...extra,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) }),
    });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/health') {
      if (req.method !== 'GET') throw new Rejection(405, 'method not allowed');
      return send(req, res, 200, { status: 'ok' });
    }
    const action = path === '/codec/encode' ? 'encode' : path === '/codec/decode' ? 'decode' : undefined;
    if (!action) throw new Rejection(404, 'not found');
    if (req.method === 'OPTIONS') {
      // A preflight carries no credentials; only an allowed origin gets the CORS headers that let the browser go on.
      return send(req, res, 204, undefined, corsHeaders(req)['Access-Control-Allow-Origin'] ? PREFLIGHT_HEADERS : {});
    }
    if (req.method !== 'POST') throw new Rejection(405, 'method not allowed', { error: 'method not allowed' });

    const verdict = await authorize(req);
    if (!verdict.ok) throw refusal(verdict);
    const payloads = parsePayloads(await readBody(req, maxBodyBytes));
    send(req, res, 200, serializePayloads(await transcode(codec, action, payloads)));
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const rejection = error instanceof Rejection ? error : new Rejection(500, 'internal error');
      const namespace = req.headers['x-namespace'];
      log({
        event: 'codec request rejected',
        reason: rejection.reason,
        method: req.method,
        path: redactPath((req.url ?? '/').split('?')[0]!),
        status: rejection.status,
        ...(typeof namespace === 'string' ? { namespace: namespace.slice(0, 256) } : {}),
      });
      if (res.headersSent) return void res.destroy();
      // After a 413 the rest of the body is not worth reading: close the connection instead.
      send(req, res, rejection.status, rejection.body, { ...rejection.headers, ...(rejection.status === 413 ? { Connection: 'close' } : {}) });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  return {
    url,
    uiEndpoint: `${url}/codec`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
