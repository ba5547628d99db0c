/**
 * The product state in a shared Postgres database (DATABASE_URL): what was last pushed per product
 * variant, keyed by (connection, variant code), and the variants each pass has seen, one row each, so
 * any worker may run any page of a pass and the pass's reconcile step, on whichever worker, sees
 * every page. Nothing is cached in the process: every answer comes from the database, so no worker
 * acts on what another has changed since.
 *
 * It keeps the problem ledger too (table `problems`): the open problems of every connection, written
 * by whichever worker ran the page or the order's write-back, read by `cli status` and `cli problems`
 * (`reason` in the engine's words, `sealed_reason` the reason whole, sealed: store/sealed-problems.ts);
 * and each connection's pass claim (table `pass_claims`, see store/pass-claims.ts).
 *
 * Each method is one statement, hence one transaction. The schema is `store/migrations/` (applied at
 * start by `store/migrate.ts`).
 */
import type { Pool } from 'pg';
import {
  ENDED_PASS_MEMORY_DAYS,
  type Problem,
  type ProblemKind,
  type ProblemLedger,
  type ProblemReport,
  type ProductStateStore,
  type PushedProduct,
} from './product-state';
import type { AlertEpisode, AlertEpisodeKey, AlertEpisodeStore, AlertKind, AlertPhase } from './alert-episodes';
import type { PassClaims, PassHolder } from './pass-claims';

/** Seen rows of passes that never reached their reconcile step (a failed or stopped pass) are dropped after this long. */
const ABANDONED_PASS_DAYS = 7;

export class PostgresProductStateStore implements ProductStateStore, ProblemLedger, AlertEpisodeStore, PassClaims {
  /**
   * @param ready resolves once the schema is current (the migrations applied); awaited before every
   *   statement, so a store is usable at once while its process applies the migrations.
   */
  constructor(
    private readonly pool: Pool,
    private readonly ready: () => Promise<void> = async () => undefined,
  ) {}

  async lastPushedHashes(connectionId: string, codes: string[]): Promise<Map<string, string>> {
    const hashes = new Map<string, string>();
    if (codes.length === 0) return hashes;
    const { rows } = await this.query<{ code: string; hash: string }>(
      'SELECT code, hash FROM product_state WHERE connection_id = $1 AND code = ANY($2::text[])',
      [connectionId, unique(codes.map(text))],
    );
    const byStoredCode = new Map(rows.map((row) => [row.code, row.hash]));
    for (const code of codes) {
      const hash = byStoredCode.get(text(code));
      if (hash !== undefined) hashes.set(code, hash);
    }
    return hashes;
  }

  async recordPushed(connectionId: string, products: PushedProduct[]): Promise<void> {
    if (products.length === 0) return;
    // One row per code (the last of a batch wins), as one upsert may not touch a row twice.
    const latest = [...new Map(products.map((p) => [text(p.code), p])).entries()];
    await this.query(
      `INSERT INTO product_state (connection_id, code, hash, product_code, title, pushed_at)
       SELECT $1, u.code, u.hash, u.product_code, u.title, now()
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS u(code, hash, product_code, title)
       ON CONFLICT (connection_id, code) DO UPDATE
         SET hash = EXCLUDED.hash, product_code = EXCLUDED.product_code, title = EXCLUDED.title, pushed_at = EXCLUDED.pushed_at`,
      [
        connectionId,
        latest.map(([code]) => code),
        latest.map(([, p]) => text(p.hash)),
        latest.map(([, p]) => text(p.productCode)),
        latest.map(([, p]) => text(p.title)),
      ],
    );
  }

  async forget(connectionId: string, codes: string[]): Promise<void> {
    if (codes.length === 0) return;
    await this.query('DELETE FROM product_state WHERE connection_id = $1 AND code = ANY($2::text[])', [connectionId, unique(codes.map(text))]);
  }

  async markSeen(connectionId: string, passId: string, codes: string[]): Promise<void> {
    if (codes.length === 0) return;
    await this.query(
      `INSERT INTO product_pass_seen (connection_id, pass_id, code)
       SELECT $1, $2, c FROM unnest($3::text[]) AS c
       ON CONFLICT (connection_id, pass_id, code) DO NOTHING`,
      [connectionId, passId, unique(codes.map(text))],
    );
  }

  async unseenInPass(connectionId: string, passId: string): Promise<PushedProduct[]> {
    const { rows } = await this.query<{ code: string; hash: string; product_code: string; title: string }>(
      `SELECT p.code, p.hash, p.product_code, p.title
         FROM product_state p
        WHERE p.connection_id = $1
          AND NOT EXISTS (SELECT 1 FROM product_pass_seen s WHERE s.connection_id = $1 AND s.pass_id = $2 AND s.code = p.code)
          AND NOT EXISTS (SELECT 1 FROM product_pass_ended e WHERE e.connection_id = $1 AND e.pass_id = $2)
        ORDER BY p.code COLLATE "C"`,
      [connectionId, passId],
    );
    return rows.map((row) => ({ code: row.code, hash: row.hash, productCode: row.product_code, title: row.title }));
  }

  async endPass(connectionId: string, passId: string): Promise<void> {
    await this.query(
      `WITH ended AS (
         INSERT INTO product_pass_ended (connection_id, pass_id) VALUES ($1, $2) ON CONFLICT DO NOTHING
       ), forgotten AS (
         DELETE FROM product_pass_ended WHERE connection_id = $1 AND ended_at < now() - make_interval(days => $4)
       )
       DELETE FROM product_pass_seen
        WHERE connection_id = $1 AND (pass_id = $2 OR seen_at < now() - make_interval(days => $3))`,
      [connectionId, passId, ABANDONED_PASS_DAYS, ENDED_PASS_MEMORY_DAYS],
    );
  }

  async recordProblems(connectionId: string, problems: ProblemReport[]): Promise<void> {
    if (problems.length === 0) return;
    // One row per (kind, code), the last of the call winning, as one upsert may not touch a row twice.
    const latest = [...new Map(problems.map((p) => [`${p.kind}\t${text(p.code)}`, p])).values()];
    await this.query(
      `INSERT INTO problems (connection_id, kind, code, field, reason, sealed_reason, first_seen, last_seen)
       SELECT $1, u.kind, u.code, u.field, u.reason, u.sealed_reason, now(), now()
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(kind, code, field, reason, sealed_reason)
       ON CONFLICT (connection_id, kind, code) DO UPDATE
         SET field = EXCLUDED.field, reason = EXCLUDED.reason, sealed_reason = EXCLUDED.sealed_reason, last_seen = EXCLUDED.last_seen`,
      [
        connectionId,
        latest.map((p) => p.kind),
        latest.map((p) => text(p.code)),
        latest.map((p) => text(p.field)),
        latest.map((p) => text(p.reason)),
        latest.map((p) => p.sealedReason ?? null),
      ],
    );
  }

  async closeProblems(connectionId: string, kind: ProblemKind, codes: string[]): Promise<void> {
    if (codes.length === 0) return;
    await this.query('DELETE FROM problems WHERE connection_id = $1 AND kind = $2 AND code = ANY($3::text[])', [connectionId, kind, unique(codes.map(text))]);
  }

  async closeProductProblemsUnseenInPass(connectionId: string, passId: string): Promise<void> {
    await this.query(
      `DELETE FROM problems p
        WHERE p.connection_id = $1 AND p.kind = 'product'
          AND NOT EXISTS (SELECT 1 FROM product_pass_seen s WHERE s.connection_id = $1 AND s.pass_id = $2 AND s.code = p.code)
          AND NOT EXISTS (SELECT 1 FROM product_pass_ended e WHERE e.connection_id = $1 AND e.pass_id = $2)`,
      [connectionId, passId],
    );
  }

  async openProblems(connectionId?: string): Promise<Problem[]> {
    const { rows } = await this.query<{
      connection_id: string;
      kind: ProblemKind;
      code: string;
      field: string;
      reason: string;
      sealed_reason: string | null;
      first_seen: Date;
      last_seen: Date;
    }>(
      `SELECT connection_id, kind, code, field, reason, sealed_reason, first_seen, last_seen
         FROM problems
        WHERE $1::text IS NULL OR connection_id = $1
        ORDER BY connection_id COLLATE "C", kind COLLATE "C", code COLLATE "C"`,
      [connectionId ?? null],
    );
    return rows.map((row) => ({
      connectionId: row.connection_id,
      kind: row.kind,
      code: row.code,
      field: row.field,
      reason: row.reason,
      ...(row.sealed_reason === null ? {} : { sealedReason: row.sealed_reason }),
      firstSeen: row.first_seen,
      lastSeen: row.last_seen,
    }));
  }

  // Alert episodes (table `alert_episodes`, see store/alert-episodes.ts): each a single statement,
  // so two workers never both claim one alert; every time is the database's.

  async beginAlertEpisode(key: AlertEpisodeKey, message: string): Promise<AlertEpisode> {
    const { rows } = await this.query<AlertEpisodeRow>(
      `INSERT INTO alert_episodes (connection_id, kind, subject, started_at, message)
       VALUES ($1, $2, $3, now(), $4)
       ON CONFLICT (connection_id, kind, subject) DO UPDATE
         SET message = EXCLUDED.message, recovered_at = NULL, recovery_message = NULL
       RETURNING ${EPISODE_COLUMNS}`,
      [...episodeKey(key), text(message)],
    );
    return episodeOf(rows[0]!);
  }

  async endAlertEpisode(key: AlertEpisodeKey, recoveryMessage: string): Promise<AlertEpisode | null> {
    // The row as it was: a CTE reads it before either statement changes it.
    const { rows } = await this.query<AlertEpisodeRow>(
      `WITH before AS (
         SELECT ${EPISODE_COLUMNS} FROM alert_episodes WHERE connection_id = $1 AND kind = $2 AND subject = $3 FOR UPDATE
       ), dropped AS (
         DELETE FROM alert_episodes e USING before b
          WHERE e.connection_id = b.connection_id AND e.kind = b.kind AND e.subject = b.subject AND b.open_sent_at IS NULL
       ), marked AS (
         UPDATE alert_episodes e SET recovered_at = now(), recovery_message = $4 FROM before b
          WHERE e.connection_id = b.connection_id AND e.kind = b.kind AND e.subject = b.subject
            AND b.open_sent_at IS NOT NULL AND b.recovered_at IS NULL
       )
       SELECT * FROM before`,
      [...episodeKey(key), text(recoveryMessage)],
    );
    return rows[0] ? episodeOf(rows[0]) : null;
  }

  async claimAlert(key: AlertEpisodeKey, phase: AlertPhase, leaseMs: number, openDueAfterMs = 0): Promise<AlertEpisode | null> {
    const due =
      phase === 'recovered'
        ? 'open_sent_at IS NOT NULL AND recovered_at IS NOT NULL'
        : 'open_sent_at IS NULL AND recovered_at IS NULL AND started_at <= now() - make_interval(secs => $5)';
    const { rows } = await this.query<AlertEpisodeRow>(
      `UPDATE alert_episodes SET claimed_until = now() + make_interval(secs => $4)
        WHERE connection_id = $1 AND kind = $2 AND subject = $3
          AND (claimed_until IS NULL OR claimed_until <= now()) AND ${due}
        RETURNING ${EPISODE_COLUMNS}`,
      [...episodeKey(key), leaseMs / 1000, ...(phase === 'open' ? [openDueAfterMs / 1000] : [])],
    );
    return rows[0] ? episodeOf(rows[0]) : null;
  }

  async alertSent(key: AlertEpisodeKey, phase: AlertPhase): Promise<void> {
    if (phase === 'recovered') {
      // Gone, unless the condition began again meanwhile (its recovery withdrawn): then it lives on.
      await this.query('DELETE FROM alert_episodes WHERE connection_id = $1 AND kind = $2 AND subject = $3 AND recovered_at IS NOT NULL', episodeKey(key));
      await this.releaseAlert(key);
      return;
    }
    await this.query(
      `UPDATE alert_episodes SET open_sent_at = coalesce(open_sent_at, now()), claimed_until = NULL
        WHERE connection_id = $1 AND kind = $2 AND subject = $3`,
      episodeKey(key),
    );
  }

  async releaseAlert(key: AlertEpisodeKey): Promise<void> {
    await this.query('UPDATE alert_episodes SET claimed_until = NULL WHERE connection_id = $1 AND kind = $2 AND subject = $3', episodeKey(key));
  }

  async alertEpisodes(connectionId: string): Promise<AlertEpisode[]> {
    const { rows } = await this.query<AlertEpisodeRow>(
      `SELECT ${EPISODE_COLUMNS} FROM alert_episodes WHERE connection_id = $1 ORDER BY kind COLLATE "C", subject COLLATE "C"`,
      [connectionId],
    );
    return rows.map(episodeOf);
  }

  async passClaimHolder(connectionId: string): Promise<PassHolder | null> {
    const { rows } = await this.query<{ workflow_id: string; run_id: string }>('SELECT workflow_id, run_id FROM pass_claims WHERE connection_id = $1', [
      connectionId,
    ]);
    return rows[0] ? { workflowId: rows[0].workflow_id, runId: rows[0].run_id } : null;
  }

  async claimPass(connectionId: string, expected: PassHolder | null, next: PassHolder): Promise<boolean> {
    // One statement each: the first claim inserts (a second insert finds the row and does nothing); a
    // takeover updates only while the row still names the holder the caller saw.
    const { rowCount } =
      expected === null
        ? await this.query(
            `INSERT INTO pass_claims (connection_id, workflow_id, run_id, claimed_at) VALUES ($1, $2, $3, now())
             ON CONFLICT (connection_id) DO NOTHING`,
            [connectionId, text(next.workflowId), text(next.runId)],
          )
        : await this.query(
            `UPDATE pass_claims SET workflow_id = $2, run_id = $3, claimed_at = now()
              WHERE connection_id = $1 AND workflow_id = $4 AND run_id = $5`,
            [connectionId, text(next.workflowId), text(next.runId), text(expected.workflowId), text(expected.runId)],
          );
    return rowCount === 1;
  }

  private async query<Row extends Record<string, unknown>>(sql: string, values: unknown[]) {
    await this.ready();
    return this.pool.query<Row>(sql, values);
  }
}

const EPISODE_COLUMNS = 'connection_id, kind, subject, started_at, message, open_sent_at, recovered_at, recovery_message';

type AlertEpisodeRow = {
  connection_id: string;
  kind: AlertKind;
  subject: string;
  started_at: Date;
  message: string;
  open_sent_at: Date | null;
  recovered_at: Date | null;
  recovery_message: string | null;
};

function episodeKey(key: AlertEpisodeKey): string[] {
  return [key.connectionId, key.kind, text(key.subject)];
}

function episodeOf(row: AlertEpisodeRow): AlertEpisode {
  return {
    connectionId: row.connection_id,
    kind: row.kind,
    subject: row.subject,
    startedAt: row.started_at,
    message: row.message,
    openSentAt: row.open_sent_at,
    recoveredAt: row.recovered_at,
    recoveryMessage: row.recovery_message,
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** Postgres text holds no NUL character; a source's stray one is replaced (the same way on every read and write). */
function text(value: string): string {
  return value.includes('\u0000') ? value.replace(/\u0000/g, '\uFFFD') : value;
}
