/**
 * The Stock2Shop token of each API user, shared by every central worker through the shared Postgres
 * (table `stock2shop_sessions`, store/migrations/010_stock2shop_sessions.sql): a login is made under
 * the user's advisory lock, only when the token it replaces is still the shared one, so of every
 * process that found the token invalid exactly one logs in (Stock2Shop's latest login wins, and would
 * otherwise invalidate the others'). The token is kept sealed with the central key ring.
 */
import type { Pool } from 'pg';
import { KeyedQueue, supersedes, type SessionCoordinator, type SharedToken } from '../connectors';

export interface TokenSealer {
  sealText(owner: string, text: string): string | undefined;
  openText(owner: string, sealed: string): string | undefined;
}

interface SessionRow {
  generation: number;
  token_sealed: string;
  obtained_ms: number;
}

/** Sealed for no connection: the central ring. */
const OWNER = '';

export class PostgresSessionCoordinator implements SessionCoordinator {
  constructor(
    private readonly pool: Pool,
    private readonly sealer: TokenSealer,
    private readonly ready: () => Promise<void> = async () => undefined,
  ) {}

  async current(userKey: string): Promise<SharedToken | null> {
    await this.ready();
    const { rows } = await this.pool.query<SessionRow>(
      'SELECT generation, token_sealed, (extract(epoch FROM obtained_at) * 1000)::float8 AS obtained_ms FROM stock2shop_sessions WHERE user_key = $1',
      [userKey],
    );
    return rows[0] ? this.opened(rows[0]) : null;
  }

  private readonly queue = new KeyedQueue();

  /** One renewal per user at a time in this process (one pool client), the advisory lock across processes. */
  renew(userKey: string, stale: SharedToken | null, login: () => Promise<string>): Promise<SharedToken> {
    return this.queue.run(userKey, () => this.renewUnderLock(userKey, stale, login));
  }

  private async renewUnderLock(userKey: string, stale: SharedToken | null, login: () => Promise<string>): Promise<SharedToken> {
    await this.ready();
    // Before any login: a token that could not be kept would end everyone's and help nobody.
    if (this.sealer.sealText(OWNER, 'probe') === undefined) {
      throw new Error('the central key ring (PAYLOAD_CODEC_KEYS) is needed to share a Stock2Shop token between workers');
    }
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`stock2shop-session:${userKey}`]);
      const { rows } = await client.query<SessionRow>(
        'SELECT generation, token_sealed, (extract(epoch FROM obtained_at) * 1000)::float8 AS obtained_ms FROM stock2shop_sessions WHERE user_key = $1',
        [userKey],
      );
      const now = rows[0] ? this.opened(rows[0]) : null;
      if (now && supersedes(now, stale)) {
        await client.query('COMMIT');
        return now;
      }
      // The row's generation even when its token cannot be opened here (a key rotation): it only moves on.
      const next = { token: await login(), generation: (rows[0]?.generation ?? 0) + 1, obtainedAt: Date.now() };
      const sealed = this.sealer.sealText(OWNER, next.token);
      if (sealed === undefined) throw new Error('the central key ring (PAYLOAD_CODEC_KEYS) is needed to share a Stock2Shop token between workers');
      await client.query(
        `INSERT INTO stock2shop_sessions (user_key, generation, token_sealed, obtained_at) VALUES ($1, $2, $3, to_timestamp($4 / 1000.0))
         ON CONFLICT (user_key) DO UPDATE SET generation = EXCLUDED.generation, token_sealed = EXCLUDED.token_sealed, obtained_at = EXCLUDED.obtained_at`,
        [userKey, next.generation, sealed, next.obtainedAt],
      );
      await client.query('COMMIT');
      return next;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private opened(row: SessionRow): SharedToken | null {
    const token = this.sealer.openText(OWNER, row.token_sealed);
    // Sealed with a key this process lacks (a rotation): as if none were shared; the next login replaces it.
    return token === undefined ? null : { token, generation: row.generation, obtainedAt: row.obtained_ms };
  }
}
