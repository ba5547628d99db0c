/**
 * The schema of the shared database (DATABASE_URL), as versioned migrations: `store/migrations/NNN_name.sql`,
 * applied in the order of their numbers, each exactly once.
 *
 * `migrate` runs in one transaction that first takes an advisory lock, so two workers starting at
 * once apply them one after the other (the second finds them applied); it records each applied
 * version in `schema_migrations`. A migration that fails rolls back every migration of that run,
 * and the error names its file. Since they run inside a transaction, a migration may not use
 * statements Postgres refuses there (e.g. `CREATE INDEX CONCURRENTLY`).
 *
 * A migration, once released, is never edited: a change is a new file with the next number.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';

export const MIGRATIONS_DIR = join(__dirname, 'migrations');

/** The advisory lock every migrator of this project takes (any constant; it only has to be the same everywhere). */
export const MIGRATION_LOCK_KEY = 7_270_315_001;

export interface Migration {
  /** The number, as written in the file name (`001`). */
  version: string;
  name: string;
  file: string;
  sql: string;
}

const FILE_NAME = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

/** The migrations of a folder, in order; refuses a `.sql` file not named `NNN_name.sql`, and two files of one number. */
export function readMigrations(directory: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(directory)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = FILE_NAME.exec(file);
      if (!match) throw new Error(`${join(directory, file)}: a migration is named NNN_name.sql (e.g. 003_add_index.sql)`);
      return { version: match[1]!, name: match[2]!, file, sql: readFileSync(join(directory, file), 'utf8') };
    })
    .sort((a, b) => Number(a.version) - Number(b.version));
  for (let i = 1; i < migrations.length; i += 1) {
    if (Number(migrations[i]!.version) === Number(migrations[i - 1]!.version)) {
      throw new Error(`${directory}: ${migrations[i - 1]!.file} and ${migrations[i]!.file} have the same number`);
    }
  }
  return migrations;
}

/** Applies the migrations not applied yet; answers the files it applied (none when the schema is current). */
export async function migrate(pool: Pool, options: { directory?: string } = {}): Promise<{ applied: string[] }> {
  const migrations = readMigrations(options.directory);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Held until COMMIT or ROLLBACK: a second migrator waits here, then sees what the first applied.
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version text PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ version: string }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((row) => Number(row.version)));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(Number(migration.version))) continue;
      try {
        await client.query(migration.sql);
      } catch (error) {
        throw new Error(`migration ${migration.file} failed: ${(error as Error).message}`);
      }
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.file);
    }
    await client.query('COMMIT');
    return { applied };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * For a process that must not migrate (an agent): the migrations not applied yet, read without
 * changing anything; none when the schema is current. A database never migrated lists every one.
 */
export async function pendingMigrations(pool: Pool, options: { directory?: string } = {}): Promise<string[]> {
  const migrations = readMigrations(options.directory);
  const { rows } = await pool.query<{ version: string | null }>("SELECT to_regclass('schema_migrations')::text AS version");
  if (rows[0]?.version === null) return migrations.map((migration) => migration.file);
  const applied = await pool.query<{ version: string }>('SELECT version FROM schema_migrations');
  const done = new Set(applied.rows.map((row) => Number(row.version)));
  return migrations.filter((migration) => !done.has(Number(migration.version))).map((migration) => migration.file);
}
