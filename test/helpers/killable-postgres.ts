/**
 * A real Postgres server (scripts/postgres.ts) that a chaos test can kill -9 and start again on the
 * same data directory and port, as after a crash: the workers keep their DATABASE_URL.
 *
 * `kill()` sends SIGKILL to the postmaster and to every server process it had forked (the backends
 * serving the workers, the WAL writer, the checkpointer…), at once: no shutdown checkpoint, no
 * goodbye to any client, a transaction in flight neither committed nor rolled back by the server.
 * `restart()` is `pg_ctl restart`, which finds the old postmaster gone and starts a new one with the
 * options it had (postmaster.opts: the same port and socket folder); the new one recovers from its WAL.
 *
 * The test server runs with `synchronous_commit=off` (scripts/postgres.ts, for speed): a crash could
 * then lose the last commits it had acknowledged, which no client can survive and no production
 * database does. The database made here sets `synchronous_commit=on` (Postgres' default) for its
 * sessions, so a commit acknowledged to a worker is in the WAL before the kill. `fsync=off` stays:
 * killing processes leaves the operating system's page cache, hence the WAL written, intact.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { ensurePostgresBinaries, startPostgres, type RunningPostgres } from '../../scripts/postgres';

export interface KillablePostgres {
  /** The URL of the database made for the test (what the workers get as DATABASE_URL). */
  url: string;
  server: RunningPostgres;
  /** kill -9 of the whole server; resolves once every one of its processes is gone. Answers how many processes were killed. */
  kill(): Promise<number>;
  /** Starts it again on the same data directory and port (tried again while the port or the old shared memory is still held). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startKillablePostgres(database: string): Promise<KillablePostgres> {
  const server = await startPostgres();
  const admin = new Client({ connectionString: server.url });
  await admin.connect();
  let dataDir: string;
  try {
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.query(`ALTER DATABASE ${database} SET synchronous_commit = on`);
    dataDir = (await admin.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
  } finally {
    await admin.end();
  }
  const bin = ensurePostgresBinaries();
  // As root, the server runs as the `postgres` user (scripts/postgres.ts): so does pg_ctl.
  const pgCtl = (args: string[]) => {
    const argv = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args] : [join(bin, 'pg_ctl'), ...args];
    return spawnSync(argv[0]!, argv.slice(1), {
      cwd: dirname(dataDir),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
  };
  return {
    url: server.urlOf(database),
    server,
    async kill() {
      const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      // Its children are listed before it dies (then they would belong to init).
      const processes = [postmaster, ...childrenOf(postmaster)];
      for (const pid of processes) signal(pid, 'SIGKILL');
      // A backend forked between the listing and the kill notices its postmaster's death and exits by itself.
      for (let waited = 0; processes.some(alive); waited += 50) {
        if (waited > 30_000) throw new Error(`Postgres processes ${processes.filter(alive).join(', ')} outlived kill -9 for 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return processes.length;
    },
    async restart() {
      let failure = '';
      for (let attempt = 1; attempt <= 20; attempt += 1) {
        const started = pgCtl(['-D', dataDir, '-l', join(dirname(dataDir), 'server.log'), '-w', '-t', '60', 'restart']);
        if (started.status === 0) return;
        failure = `${started.stderr || started.stdout}`.trim();
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      throw new Error(`Postgres did not start again on ${dataDir}: ${failure} ${logTail(dataDir)}`);
    },
    stop: () => server.stop(),
  };
}

/** The fields of /proc/<pid>/stat after the command (`state ppid …`), or undefined once the process is gone. */
function statOf(pid: number | string): string[] | undefined {
  try {
    // `pid (comm) state ppid …`: the command may hold spaces and parentheses; the fields after its last ')' do not.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function childrenOf(parent: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(statOf(entry)?.[1]) === parent)
    .map(Number);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Still running: present and not a zombie waiting for its (new) parent to reap it. */
function alive(pid: number): boolean {
  const state = statOf(pid)?.[0];
  return state !== undefined && state !== 'Z';
}

function logTail(dataDir: string): string {
  const log = join(dirname(dataDir), 'server.log');
  return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-5).join(' | ') : '';
}
