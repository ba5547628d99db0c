/**
 * The last `connections check` of each connection, for `cli status`: when, and its verdict (the
 * names of the checks that failed or were not made, never their words). Files under
 * `DATA_DIR/connection-checks/`, owner-only, one a connection, each written whole (a temporary file
 * renamed); and when the check last logged in to Stock2Shop as each API user (a login ends that
 * user's earlier tokens, so the check makes at most one per user in 10 minutes).
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { makePrivateDirectory, PRIVATE_FILE } from './private-files';

export const LastCheckSchema = z.object({
  connectionId: z.string(),
  at: z.iso.datetime(),
  ok: z.boolean(),
  passed: z.number().int().min(0),
  failed: z.array(z.string()),
  skipped: z.array(z.string()),
});
export type LastCheck = z.infer<typeof LastCheckSchema>;

const LoginsSchema = z.record(z.string(), z.iso.datetime());

const safeName = (value: string) => value.replace(/[^A-Za-z0-9_.-]/g, '_');
const userKey = (endpoint: string, username: string) => createHash('sha256').update(`${endpoint}\n${username}`).digest('hex');

export class ConnectionCheckFiles {
  constructor(private readonly directory: string) {}

  /** The last check of the connection; undefined when it was never checked here (or its file is unreadable). */
  lastOf(connectionId: string): LastCheck | undefined {
    const parsed = LastCheckSchema.safeParse(this.read(`${safeName(connectionId)}.json`));
    return parsed.success ? parsed.data : undefined;
  }

  record(check: LastCheck): void {
    this.write(`${safeName(check.connectionId)}.json`, check);
  }

  /** When this check last logged in to Stock2Shop at `endpoint` as `username`. */
  lastLoginOf(endpoint: string, username: string): Date | undefined {
    const parsed = LoginsSchema.safeParse(this.read('stock2shop-logins.json'));
    const at = parsed.success ? parsed.data[userKey(endpoint, username)] : undefined;
    return at === undefined ? undefined : new Date(at);
  }

  recordLogin(endpoint: string, username: string, at: Date): void {
    const parsed = LoginsSchema.safeParse(this.read('stock2shop-logins.json'));
    this.write('stock2shop-logins.json', { ...(parsed.success ? parsed.data : {}), [userKey(endpoint, username)]: at.toISOString() });
  }

  private read(name: string): unknown {
    try {
      return JSON.parse(readFileSync(join(this.directory, name), 'utf8'));
    } catch {
      return undefined;
    }
  }

  private write(name: string, value: unknown): void {
    makePrivateDirectory(this.directory);
    const path = join(this.directory, name);
    writeFileSync(`${path}.${process.pid}.tmp`, JSON.stringify(value), PRIVATE_FILE);
    renameSync(`${path}.${process.pid}.tmp`, path);
  }
}
