/**
 * PostgreSQL for the tests (and for trying the shared store by hand): finds the server binaries, or
 * installs them, and starts a throw-away server.
 *
 * The binaries (`initdb`, `pg_ctl`, `postgres`), in this order:
 *   1. POSTGRES_BIN_DIR;
 *   2. `pg_ctl` on PATH (the folder it really lives in);
 *   3. /usr/lib/postgresql/<version>/bin, the newest version (Debian's packages);
 *   4. an install of Debian's `postgresql` package with apt-get (as root, like scripts/ensure-chromium.sh).
 *
 * `startPostgres()` runs `initdb` into a fresh temporary folder and starts a server on a free port of
 * 127.0.0.1 (its unix socket in that folder), trusting local connections; `stop()` stops it and
 * removes the folder. Postgres refuses to run as root: as root, the server runs as the `postgres`
 * user (which Debian's package creates), owning the temporary folder.
 *
 * `node --import tsx scripts/postgres.ts` ensures the binaries and prints their folder;
 * `… scripts/postgres.ts start` starts a server and prints its URL until Ctrl-C.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { freePort } from './ports';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

const SERVER_BINARIES = ['initdb', 'pg_ctl', 'postgres'];

export class PostgresUnavailableError extends Error {
  override readonly name = 'PostgresUnavailableError';
}

const hasServerBinaries = (dir: string) => SERVER_BINARIES.every((name) => existsSync(join(dir, name)));

/** The folder of the Postgres server binaries on this machine, if any (no install). */
export function findPostgresBinDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.POSTGRES_BIN_DIR) {
    if (hasServerBinaries(env.POSTGRES_BIN_DIR)) return env.POSTGRES_BIN_DIR;
    throw new PostgresUnavailableError(`POSTGRES_BIN_DIR=${env.POSTGRES_BIN_DIR} does not hold ${SERVER_BINARIES.join(', ')}`);
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const pgCtl = join(dir, 'pg_ctl');
    if (!existsSync(pgCtl)) continue;
    // Debian links pg_ctl into PATH; the real folder holds initdb and postgres beside it.
    const real = dirname(realpathSync(pgCtl));
    if (hasServerBinaries(real)) return real;
    if (hasServerBinaries(dir)) return dir;
  }
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const dir = join(debianRoot, version, 'bin');
      if (hasServerBinaries(dir)) return dir;
    }
  }
  return undefined;
}

/**
 * The Postgres server binaries' folder; installs Debian's `postgresql` package when there are none
 * (as root with apt-get). Throws saying what to install when it cannot.
 */
export function ensurePostgresBinaries(env: NodeJS.ProcessEnv = process.env): string {
  const found = findPostgresBinDir(env);
  if (found) return found;
  const manual = "install Debian's 'postgresql' package (apt-get install postgresql), or set POSTGRES_BIN_DIR to a folder holding initdb, pg_ctl and postgres";
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !onPath('apt-get', env)) {
    throw new PostgresUnavailableError(`PostgreSQL server binaries not found: ${manual}`);
  }
  process.stderr.write('[postgres] installing Debian postgresql\n');
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { env: aptEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', 'postgresql'], { env: aptEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  const installed = findPostgresBinDir(env);
  if (installed) return installed;
  throw new PostgresUnavailableError(
    `PostgreSQL server binaries not found, and 'apt-get install postgresql' did not provide them (${lastLine(update)} ${lastLine(install)}): ${manual}`,
  );
}

export interface RunningPostgres {
  /** e.g. postgres://postgres@127.0.0.1:5433/postgres */
  url: string;
  port: number;
  /** A database URL of the same server for another database name. */
  urlOf(database: string): string;
  stop(): Promise<void>;
}

/** A fresh Postgres server (initdb into a temporary folder) on a free port; `stop()` stops it and removes the folder. */
export async function startPostgres(): Promise<RunningPostgres> {
  const bin = ensurePostgresBinaries();
  const runAs = serverUser();
  // The server's user must reach its folder: as root, under /tmp rather than a TMPDIR of root's own.
  const root = mkdtempSync(join(runAs && existsSync('/tmp') ? '/tmp' : tmpdir(), 's2s-postgres-'));
  const dataDir = join(root, 'data');
  if (runAs) chownSync(root, runAs.uid, runAs.gid);
  const run = (command: string, args: string[]) => {
    const argv = runAs ? ['runuser', '-u', 'postgres', '--', join(bin, command), ...args] : [join(bin, command), ...args];
    return spawnSync(argv[0]!, argv.slice(1), { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  };
  const initdb = run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  if (initdb.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new PostgresUnavailableError(`initdb failed: ${initdb.stderr || initdb.stdout || initdb.error?.message}`);
  }
  let port = 0;
  let failure = '';
  // A free port may be taken between the look and the start: try another.
  for (let attempt = 0; attempt < 3 && port === 0; attempt += 1) {
    const candidate = await freePort();
    const options = [`-p ${candidate}`, `-k ${root}`, '-c listen_addresses=127.0.0.1', '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'];
    const started = run('pg_ctl', ['-D', dataDir, '-l', join(root, 'server.log'), '-o', options.join(' '), '-w', '-t', '60', 'start']);
    if (started.status === 0) port = candidate;
    else failure = `${started.stderr || started.stdout} ${readLog(root)}`;
  }
  if (port === 0) {
    rmSync(root, { recursive: true, force: true });
    throw new PostgresUnavailableError(`the Postgres server did not start: ${failure.trim()}`);
  }
  const urlOf = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let stopped = false;
  const stopNow = (mode: 'fast' | 'immediate') => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    run('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '30', 'stop']);
    rmSync(root, { recursive: true, force: true });
  };
  // A test process that ends without stop() (a failed before(), an uncaught error) leaves no server behind.
  const onExit = () => stopNow('immediate');
  process.on('exit', onExit);
  return {
    url: urlOf('postgres'),
    port,
    urlOf,
    async stop() {
      stopNow('fast');
    },
  };
}

/** As root, the `postgres` user the server runs as (Postgres refuses root); otherwise none (the server runs as us). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new PostgresUnavailableError("running as root, and there is no 'postgres' user to run the server as (Debian's postgresql package creates it)");
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

function lastLine(result: SpawnSyncReturns<Buffer>): string {
  const text = (result.stderr?.toString('utf8') ?? '').trim() || result.error?.message || `exit ${result.status}`;
  return text.split('\n').pop() ?? '';
}

function readLog(root: string): string {
  try {
    return readFileSync(join(root, 'server.log'), 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '';
  }
}

if (require.main === module) {
  const [command] = process.argv.slice(2);
  if (command === 'start') {
    startPostgres().then(
      (server) => {
        process.stdout.write(`${server.url}\n(Ctrl-C stops it)\n`);
        setInterval(() => undefined, 60_000); // the server runs on its own: stay until Ctrl-C
        const stop = () => void server.stop().then(() => process.exit(0));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      },
      (error: Error) => {
        process.stderr.write(`${error.message}\n`);
        process.exit(1);
      },
    );
  } else {
    try {
      process.stdout.write(`${ensurePostgresBinaries()}\n`);
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exit(1);
    }
  }
}
