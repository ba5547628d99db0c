import { after, before } from 'node:test';
import { Pool } from 'pg';
import { startPostgres, type RunningPostgres } from '../../scripts/postgres';

/**
 * A real Postgres server for one test file (started before its tests, stopped after): pools that are
 * closed at the end, and a new empty database per call, so each test starts clean.
 */
export function postgresForTests(databasePrefix: string) {
  let server: RunningPostgres;
  let admin: Pool;
  const pools: Pool[] = [];
  let databases = 0;

  function pool(url: string): Pool {
    const created = new Pool({ connectionString: url, max: 4 });
    // The server's goodbye to a connection closing as it stops is no failure of a test.
    created.on('error', () => undefined);
    pools.push(created);
    return created;
  }

  before(async () => {
    server = await startPostgres();
    admin = pool(server.url);
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await server?.stop();
  });

  return {
    pool,
    server: () => server,
    /** A new, empty database of the test server: its URL. */
    async freshDatabase(): Promise<string> {
      databases += 1;
      const name = `${databasePrefix}_${databases}`;
      await admin.query(`CREATE DATABASE ${name}`);
      return server.urlOf(name);
    },
  };
}
