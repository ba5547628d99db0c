/**
 * The real Temporal server (built by scripts/temporal-server.ts) with SQLite persistence and its
 * default JWT claim mapper and authorizer, for the tests that prove what a credential reaches. The
 * test serves the JWKS on loopback and mints tokens per role: `permissions` claims such as
 * `client-a:write` or `temporal-system:admin`. The server's own worker service goes through an
 * `internal-frontend` (without it the server refuses its own worker and exits).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { ensureTemporalServer } from '../../scripts/temporal-server';
import { freePort } from './ports';

export interface AuthorizedServer {
  address: string;
  /** A token whose `permissions` claim holds these (e.g. `client-a:write`). */
  mint(permissions: string[], subject?: string): string;
  /** A connection that presents `token`. */
  connect(token: string): Promise<Connection>;
  /** What the server wrote, for a test that fails. */
  output(): string;
  stop(): Promise<void>;
}

/** Every service in one process; the internal frontend is not among the server's defaults. */
const SERVICES = ['frontend', 'internal-frontend', 'history', 'matching', 'worker'];

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

function minter(privateKey: KeyObject, kid: string) {
  return (permissions: string[], subject = 'test'): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
    const payload = base64url(JSON.stringify({ sub: subject, permissions, iat: now, exp: now + 3600 }));
    return `${header}.${payload}.${base64url(sign('sha256', Buffer.from(`${header}.${payload}`), privateKey))}`;
  };
}

async function serveJwks(publicJwk: object): Promise<{ server: Server; url: string }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, url: `http://127.0.0.1:${port}/jwks.json` };
}

/** The server's configuration: every service on loopback at free ports, SQLite in `dir`, authorization on. */
async function configFile(dir: string, jwksUrl: string): Promise<{ file: string; frontend: number }> {
  const ports = await Promise.all(Array.from({ length: 12 }, () => freePort()));
  const [
    frontend,
    frontendHttp,
    frontendMembership,
    history,
    historyMembership,
    matching,
    matchingMembership,
    worker,
    workerMembership,
    internal,
    internalHttp,
    internalMembership,
  ] = ports;
  const sqlite = (name: string) => `
      sql:
        pluginName: sqlite
        databaseName: ${join(dir, `${name}.db`)}
        connectAddr: localhost
        connectProtocol: tcp
        connectAttributes: { mode: rwc, setup: true, journal_mode: wal, synchronous: 1 }
        maxConns: 1
        maxIdleConns: 1`;
  const service = (grpc: number, membership: number, http?: number) =>
    `\n    rpc: { grpcPort: ${grpc}, membershipPort: ${membership}, bindOnLocalHost: true${http ? `, httpPort: ${http}` : ''} }`;
  const dynamicConfig = join(dir, 'dynamic.yaml');
  writeFileSync(dynamicConfig, 'component.nexusoperations.useSystemCallbackURL:\n  - value: true\n');
  const yaml = `
log: { stdout: true, level: warn }
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 1
  datastores:
    default:${sqlite('default')}
    visibility:${sqlite('visibility')}
global:
  membership: { maxJoinDuration: 30s, broadcastAddress: 127.0.0.1 }
  authorization:
    jwtKeyProvider: { keySourceURIs: [${jwksUrl}], refreshInterval: 1m }
    permissionsClaimName: permissions
    authorizer: default
    claimMapper: default
services:
  frontend:${service(frontend!, frontendMembership!, frontendHttp)}
  internal-frontend:${service(internal!, internalMembership!, internalHttp)}
  history:${service(history!, historyMembership!)}
  matching:${service(matching!, matchingMembership!)}
  worker:${service(worker!, workerMembership!)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active: { enabled: true, initialFailoverVersion: 1, rpcName: frontend, rpcAddress: "127.0.0.1:${frontend}", httpAddress: "127.0.0.1:${frontendHttp}" }
dcRedirectionPolicy: { policy: noop }
dynamicConfigClient: { filepath: ${dynamicConfig}, pollInterval: 10s }
`;
  const file = join(dir, 'config.yaml');
  writeFileSync(file, yaml);
  return { file, frontend: frontend! };
}

/** Starts the server, waits for its frontend, and creates `namespaces` (1-day retention) with an admin token. */
export async function startAuthorizedServer(namespaces: string[]): Promise<AuthorizedServer> {
  const binary = ensureTemporalServer();
  const dir = mkdtempSync(join(tmpdir(), 's2s-authz-'));
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'test-key';
  const jwks = await serveJwks({ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' });
  const { file, frontend } = await configFile(dir, jwks.url);
  let written = '';
  const child: ChildProcess = spawn(binary, ['--config-file', file, 'start', ...SERVICES.flatMap((name) => ['--service', name])], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (written += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (written += chunk.toString()));
  const mint = minter(privateKey, kid);
  const address = `127.0.0.1:${frontend}`;
  const connect = (token: string) => Connection.connect({ address, apiKey: token, tls: false, connectTimeout: '10s' });
  const admin = await waitForFrontend(
    () => connect(mint(['temporal-system:admin'], 'admin')),
    child,
    () => written,
  );
  for (const namespace of namespaces) {
    await admin.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  }
  await admin.close();
  return {
    address,
    mint,
    connect,
    output: () => written,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      jwks.server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForFrontend(connect: () => Promise<Connection>, child: ChildProcess, output: () => string): Promise<Connection> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the Temporal server exited (${child.exitCode}):\n${output()}`);
    try {
      const connection = await connect();
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`the Temporal server did not answer in 90 s (${(error as Error).message}):\n${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
