/**
 * The signatures of webhook calls already accepted, kept until their timestamp is out of the tolerance
 * (after that the call is refused as stale anyway): a captured call replayed within the window is
 * refused. Only calls whose signature was verified are recorded, so nobody without the secret can fill
 * the cache. In this process's memory for one intake; in the shared Postgres (table `webhook_nonces`,
 * `store/migrations/009_webhook_nonces.sql`) when several intakes run.
 */
import type { Pool } from 'pg';

export interface WebhookNonces {
  /** True the first time this call is seen (recorded until `expiresAtMs`), false for a replay. */
  firstSighting(key: string, expiresAtMs: number): Promise<boolean>;
  /** Forgets a call that was recorded but not delivered, so that the sender's retry of it is accepted. */
  forget(key: string): Promise<void>;
}

/** Far more valid calls than ten minutes of any client's orders; beyond it a call is refused rather than a replay let through. */
export const MAX_REMEMBERED_CALLS = 200_000;

export class NonceCacheFullError extends Error {
  constructor() {
    super(`the webhook's replay cache holds ${MAX_REMEMBERED_CALLS} calls of the last minutes: refusing more until some expire`);
    this.name = 'NonceCacheFullError';
  }
}

export class MemoryWebhookNonces implements WebhookNonces {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly nowMs: () => number = Date.now,
    private readonly capacity = MAX_REMEMBERED_CALLS,
  ) {}

  async firstSighting(key: string, expiresAtMs: number): Promise<boolean> {
    const now = this.nowMs();
    const known = this.expiries.get(key);
    if (known !== undefined && known > now) return false;
    if (this.expiries.size >= this.capacity) this.forgetExpired(now);
    if (this.expiries.size >= this.capacity) throw new NonceCacheFullError();
    this.expiries.set(key, expiresAtMs);
    return true;
  }

  async forget(key: string): Promise<void> {
    this.expiries.delete(key);
  }

  private forgetExpired(now: number): void {
    for (const [key, expiry] of this.expiries) if (expiry <= now) this.expiries.delete(key);
  }
}

export class PostgresWebhookNonces implements WebhookNonces {
  private lastSweepMs = 0;

  constructor(
    private readonly pool: Pool,
    private readonly ready: () => Promise<void> = async () => undefined,
  ) {}

  async firstSighting(key: string, expiresAtMs: number): Promise<boolean> {
    await this.ready();
    // An expired row of the same key is taken over; a live one means this call was seen.
    const result = await this.pool.query(
      `INSERT INTO webhook_nonces (call_key, expires_at) VALUES ($1, to_timestamp($2 / 1000.0))
       ON CONFLICT (call_key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE webhook_nonces.expires_at <= now()
       RETURNING call_key`,
      [key, expiresAtMs],
    );
    if (Date.now() - this.lastSweepMs > 60_000) {
      this.lastSweepMs = Date.now();
      // Outside the call's answer: a failed sweep must not make a recorded call look undelivered.
      void this.pool.query('DELETE FROM webhook_nonces WHERE expires_at <= now()').catch(() => undefined);
    }
    return result.rowCount === 1;
  }

  async forget(key: string): Promise<void> {
    await this.ready();
    await this.pool.query('DELETE FROM webhook_nonces WHERE call_key = $1', [key]);
  }
}
