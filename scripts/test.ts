/**
 * `npm test`: makes sure the Temporal binaries, the PostgreSQL server binaries and (for the
 * authorization tests) the Temporal server built from its Go module are there (installing or building
 * them on a fresh machine), then runs every `test/**\/*.test.ts` with node's built-in
 * test runner. Tests start their own servers.
 * Extra arguments narrow the run: `npm test -- test/unit`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ensureTemporalBinaries } from './temporal-binaries';
import { ensurePostgresBinaries } from './postgres';
import { ensureTemporalServer } from './temporal-server';

const projectRoot = resolve(__dirname, '..');

function testFiles(path: string): string[] {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path)
    .sort()
    .flatMap((name) => testFiles(join(path, name)));
}

const binaries = ensureTemporalBinaries();
// The Web UI check drives Debian's Chromium; install it when missing (a no-op when present).
spawnSync('bash', [join(projectRoot, 'scripts', 'ensure-chromium.sh')], { stdio: 'inherit' });
// The shared product state store and the agent lease are tested on a real Postgres (Debian's, installed when missing).
let postgresBinDir: string | undefined;
try {
  postgresBinDir = ensurePostgresBinaries();
} catch (error) {
  process.stderr.write(`${(error as Error).message}: the Postgres tests will fail\n`);
}
const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['test'];
const files = roots.flatMap((root) => testFiles(resolve(projectRoot, root))).map((f) => relative(projectRoot, f));
if (files.length === 0) {
  process.stderr.write(`No test files under ${roots.join(', ')}\n`);
  process.exit(1);
}

// What a credential reaches is proven on the real Temporal server (the dev server has no authorization): built once into .cache.
if (files.some((file) => /authorization[^/]*\.test\.ts$/.test(file))) {
  try {
    ensureTemporalServer();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}: the authorization tests will fail\n`);
  }
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...files], {
  cwd: projectRoot,
  stdio: 'inherit',
  env: {
    ...process.env,
    TEMPORAL_CLI_PATH: binaries.cli,
    TEMPORAL_TEST_SERVER_PATH: binaries.testServer,
    ...(postgresBinDir ? { POSTGRES_BIN_DIR: postgresBinDir } : {}),
  },
});
process.exit(result.status ?? 1);
