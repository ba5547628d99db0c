/** The stores of this process, from its environment: DATABASE_URL for the shared Postgres, else files under DATA_DIR. */
import { join } from 'node:path';
import { Pool } from 'pg';
import { dataDir } from '../config/config';
import { FileProductStateStore } from './file-store';
import { migrate, pendingMigrations } from './migrate';
import { PostgresProductStateStore } from './postgres-store';
import type { ProductStateStore } from './product-state';

/**
 * The shared database of this process (DATABASE_URL), one pool for the product state store and the
 * agent lease; its migrations (`store/migrations/`) are started at once and awaited by the first use.
 * Undefined without DATABASE_URL (the embedded default: files under DATA_DIR). An agent (`migrates:
 * false`, with a role of its own) never migrates: it checks the schema is current and says who must.
 */
export interface SharedDatabase {
  pool: Pool;
  /** Resolves once the schema is current; a failed attempt (database unreachable) is tried again at the next call. */
  ready: () => Promise<void>;
}

let sharedDatabase: SharedDatabase | undefined;

export function databaseFromEnv(env: NodeJS.ProcessEnv = process.env, { migrates = true }: { migrates?: boolean } = {}): SharedDatabase | undefined {
  const url = env.DATABASE_URL;
  if (!url) return undefined;
  if (sharedDatabase) return sharedDatabase;
  const pool = new Pool({ connectionString: url, max: 10, allowExitOnIdle: true, connectionTimeoutMillis: 10_000 });
  // An idle connection the server dropped: the pool replaces it at the next query; say so, never with the URL (it holds the password).
  pool.on('error', (error) => process.stderr.write(`database (DATABASE_URL): an idle connection failed: ${error.message}\n`));
  let migrated: Promise<void> | undefined;
  const ready = () => {
    migrated ??= (migrates ? migrate(pool) : schemaIsCurrent(pool)).then(
      () => undefined,
      (error: Error) => {
        migrated = undefined;
        throw new Error(`the database (DATABASE_URL) is not ready: ${error.message}`);
      },
    );
    return migrated;
  };
  sharedDatabase = { pool, ready };
  // Applied at start; a database that does not answer yet is tried again when the store or the lease needs it.
  ready().catch((error: Error) => process.stderr.write(`${error.message} (tried again at the next use)\n`));
  return sharedDatabase;
}

async function schemaIsCurrent(pool: Pool): Promise<void> {
  const pending = await pendingMigrations(pool);
  if (pending.length > 0) {
    throw new Error(`its schema lacks ${pending.join(', ')}: run \`npm run cli -- db migrate\` from the central side (an agent never migrates)`);
  }
}

/** Ends the shared database's pool, if this process opened one. */
export async function closeDatabase(): Promise<void> {
  const database = sharedDatabase;
  sharedDatabase = undefined;
  await database?.pool.end();
}

/** DATABASE_URL set: the shared Postgres store; unset: the embedded default's files under DATA_DIR (one process per connection). */
export function productStoreFromEnv(env: NodeJS.ProcessEnv = process.env, options: { migrates?: boolean } = {}): ProductStateStore {
  const database = databaseFromEnv(env, options);
  return database ? new PostgresProductStateStore(database.pool, database.ready) : new FileProductStateStore(join(dataDir(env), 'product-state'));
}
