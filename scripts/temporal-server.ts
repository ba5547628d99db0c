/**
 * Finds or builds the real Temporal server (the Go module `go.temporal.io/server`, `cmd/server`), which
 * the authorization tests run: the dev server has no authorization at all.
 *
 * Order of search: TEMPORAL_SERVER_PATH; the project-local cache (`.cache/temporal-server/bin/server`,
 * or TEMPORAL_SERVER_CACHE_DIR); else `go install go.temporal.io/server/cmd/server@v1.30.9` into that
 * cache with the Go toolchain it needs (GOTOOLCHAIN=go1.27.3; the v1.31 line needs a module the proxy
 * does not serve). A build takes several minutes on two cores, once per machine.
 *
 * Run directly (`node --import tsx scripts/temporal-server.ts`) it prints the path.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const TEMPORAL_SERVER_VERSION = '1.30.9';
const GO_TOOLCHAIN = 'go1.27.3';

const projectRoot = resolve(__dirname, '..');

export class TemporalServerUnavailableError extends Error {
  override name = 'TemporalServerUnavailableError';
}

export function ensureTemporalServer(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TEMPORAL_SERVER_PATH) {
    if (!existsSync(env.TEMPORAL_SERVER_PATH)) throw new TemporalServerUnavailableError(`TEMPORAL_SERVER_PATH=${env.TEMPORAL_SERVER_PATH} does not exist`);
    return env.TEMPORAL_SERVER_PATH;
  }
  const cache = env.TEMPORAL_SERVER_CACHE_DIR ?? join(projectRoot, '.cache', 'temporal-server', TEMPORAL_SERVER_VERSION);
  const binary = join(cache, 'bin', 'server');
  if (existsSync(binary)) return binary;
  mkdirSync(cache, { recursive: true });
  process.stderr.write(`building the Temporal server v${TEMPORAL_SERVER_VERSION} from its Go module into ${cache} (once; several minutes)\n`);
  const built = spawnSync('go', ['install', `go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION}`], {
    cwd: cache,
    env: { ...env, GOTOOLCHAIN: GO_TOOLCHAIN, GOBIN: join(cache, 'bin'), GOFLAGS: '-mod=mod' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (built.error || built.status !== 0 || !existsSync(binary)) {
    throw new TemporalServerUnavailableError(
      `could not build the Temporal server (go install exited ${built.status ?? built.error?.message}): install Go, or set TEMPORAL_SERVER_PATH`,
    );
  }
  return binary;
}

if (require.main === module) process.stdout.write(`${ensureTemporalServer()}\n`);
