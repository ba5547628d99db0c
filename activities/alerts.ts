/**
 * Alerts: a POST of Slack-compatible JSON (`{ "text": … }`, plus structured fields) to the connection's
 * alert webhook, once per episode of a condition (see alert-episodes.ts), from inside the activities
 * that see the condition: no workflow changes for it.
 *
 * Where the URL comes from: the environment variable the connection names (`alerts.webhookUrlRef`),
 * else `ALERT_WEBHOOK_URL`; with neither, nothing is sent and no episode is kept.
 *
 * A receiver that fails never fails the order or the sync: each send is tried a few times with a short
 * timeout, inside the activity; an alert still not accepted stays due in the episode, and is sent by the
 * next sighting of its condition or by the periodic check (`flush`). Only a 2xx answer counts as sent.
 */
import { Context } from '@temporalio/activity';
import type { Connection } from '../domain';
import type { AlertEpisode, AlertEpisodeKey, AlertEpisodeStore, AlertKind, AlertPhase } from '../store/alert-episodes';

/** What the receiver gets: `text` for Slack and its kin, the rest for anything that reads JSON. */
export interface AlertPayload {
  text: string;
  connectionId: string;
  connectionName: string;
  kind: AlertKind;
  state: 'open' | 'recovered';
  /** What within the connection: an order's code, `source`, a schedule id. */
  subject: string;
  /** The condition (open) or its end (recovered), in words. */
  message: string;
  /** When the condition was first seen. */
  since: string;
  /** When this alert was sent. */
  at: string;
}

export interface AlerterOptions {
  env?: NodeJS.ProcessEnv;
  /** Sends one alert; throws unless the receiver answered 2xx. Default: `fetch`. */
  post?: (url: string, payload: AlertPayload, signal: AbortSignal) => Promise<void>;
  /** Tries per send (default 3), each with this timeout (default 5 s), this long apart (default 1 s, then doubled). */
  attempts?: number;
  attemptTimeoutMs?: number;
  backoffMs?: number;
}

export interface SendBudget {
  attempts?: number;
  attemptTimeoutMs?: number;
  /** Keep the episode even when no webhook is configured (the pause rule counts failed passes from it). */
  keepEpisode?: boolean;
}

/** The alert webhook URL of the connection, or why there is none to use. */
export function alertWebhookOf(
  connection: Pick<Connection, 'alerts'>,
  env: NodeJS.ProcessEnv = process.env,
): { url: string } | { url: undefined; problem?: string } {
  const ref = connection.alerts.webhookUrlRef;
  const name = ref ?? 'ALERT_WEBHOOK_URL';
  const value = env[name]?.trim();
  if (!value) return ref ? { url: undefined, problem: `alerts.webhookUrlRef names ${ref}, which is not set` } : { url: undefined };
  try {
    const { protocol } = new URL(value);
    if (protocol === 'http:' || protocol === 'https:') return { url: value };
  } catch {
    // said below, never with the value (a webhook URL carries its token)
  }
  return { url: undefined, problem: `${name} is not an http(s) URL` };
}

/** How long after an episode began its open alert is due: a source down after `sourceDownMinutes`, the rest at once. */
export function openAlertDelayMs(connection: Pick<Connection, 'alerts'>, kind: AlertKind): number {
  return kind === 'source_down' ? Math.round(connection.alerts.sourceDownMinutes * 60_000) : 0;
}

/** `2026-11-30 19:00 UTC`. */
export function formatAlertTime(time: Date): string {
  return `${time.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.max(1, Math.round(ms / 1000))} s`;
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 6) / 10;
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 2.4) / 10} days`;
}

export function alertPayloadOf(connection: Pick<Connection, 'id' | 'name'>, episode: AlertEpisode, phase: AlertPhase, now: Date = new Date()): AlertPayload {
  const open = phase === 'open';
  const message = open ? episode.message : (episode.recoveryMessage ?? 'recovered');
  const text = open
    ? `🔴 ${connection.id}: ${message} (since ${formatAlertTime(episode.startedAt)})`
    : `✅ ${connection.id}: ${message} (after ${formatDuration((episode.recoveredAt ?? now).getTime() - episode.startedAt.getTime())})`;
  return {
    text,
    connectionId: connection.id,
    connectionName: connection.name,
    kind: episode.kind,
    state: open ? 'open' : 'recovered',
    subject: episode.subject,
    message,
    since: episode.startedAt.toISOString(),
    at: now.toISOString(),
  };
}

async function postWithFetch(url: string, payload: AlertPayload, signal: AbortSignal): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
    signal,
    redirect: 'error',
  });
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new Error(`the receiver answered ${response.status}`);
}

/** The reason a send failed, never with the URL (it carries the webhook's token). */
function sendFailure(error: unknown): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'no answer in time';
  const cause = err?.cause?.code ?? err?.cause?.message;
  return `${err?.message ?? String(error)}${cause ? ` (${cause})` : ''}`.replace(/https?:\/\/\S+/g, '<alert webhook>');
}

interface ActivityBits {
  log: { info(message: string, meta?: Record<string, unknown>): void; warn(message: string, meta?: Record<string, unknown>): void };
  cancellation?: AbortSignal;
}

function activityBits(): ActivityBits {
  try {
    const context = Context.current();
    return { log: context.log, cancellation: context.cancellationSignal };
  } catch {
    const write = (level: string) => (message: string, meta?: Record<string, unknown>) =>
      process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, component: 'alerts', message, ...meta })}\n`);
    return { log: { info: write('info'), warn: write('warn') } };
  }
}

/** The activity's logger; outside an activity, JSON lines on stderr. */
export function alertLog(): ActivityBits['log'] {
  return activityBits().log;
}

/**
 * Sends each alert once per episode. Every method answers once it has tried, and never throws: the
 * store or the receiver failing is logged, and the alert stays due for the next try.
 */
export class Alerter {
  private readonly env: NodeJS.ProcessEnv;
  private readonly post: NonNullable<AlerterOptions['post']>;
  private readonly attempts: number;
  private readonly attemptTimeoutMs: number;
  private readonly backoffMs: number;
  /** Configuration problems said already (once per process, not at every probe). */
  private readonly said = new Set<string>();

  constructor(
    private readonly store: AlertEpisodeStore | undefined,
    options: AlerterOptions = {},
  ) {
    this.env = options.env ?? process.env;
    this.post = options.post ?? postWithFetch;
    this.attempts = options.attempts ?? 3;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 5_000;
    this.backoffMs = options.backoffMs ?? 1_000;
  }

  /** The condition holds now: begins its episode (once), and sends the open alert when it is due and not sent yet. */
  async conditionHolds(connection: Connection, kind: AlertKind, subject: string, message: string, budget?: SendBudget): Promise<void> {
    const target = this.target(connection);
    if (!target && !(budget?.keepEpisode && this.store)) return;
    const key = { connectionId: connection.id, kind, subject };
    await this.guarded(key, 'open', async (store) => {
      const episode = await store.beginAlertEpisode(key, message);
      if (target && episode.openSentAt === null) await this.deliver(target, connection, key, 'open', budget);
    });
  }

  /** The condition ended: its episode closes, and its recovery is sent when its open alert went out. */
  async conditionEnded(connection: Connection, kind: AlertKind, subject: string, recoveryMessage: string, budget?: SendBudget): Promise<void> {
    const target = this.target(connection);
    if (!target && !(budget?.keepEpisode && this.store)) return;
    const key = { connectionId: connection.id, kind, subject };
    await this.guarded(key, 'recovered', async (store) => {
      const before = await store.endAlertEpisode(key, recoveryMessage);
      if (target && before?.openSentAt) await this.deliver(target, connection, key, 'recovered', budget);
    });
  }

  /** Sends every alert of the connection still due (a receiver that failed before): the periodic check's last step. */
  async flush(connection: Connection, budget?: SendBudget): Promise<void> {
    const target = this.target(connection);
    if (!target || !this.store) return;
    let episodes: AlertEpisode[];
    try {
      episodes = await this.store.alertEpisodes(connection.id);
    } catch (error) {
      activityBits().log.warn(`Alerts of ${connection.id}: the alert state could not be read: ${(error as Error).message}`);
      return;
    }
    const now = Date.now();
    for (const episode of episodes) {
      const phase: AlertPhase | undefined =
        episode.recoveredAt !== null
          ? episode.openSentAt !== null
            ? 'recovered'
            : undefined
          : episode.openSentAt === null && now - episode.startedAt.getTime() >= openAlertDelayMs(connection, episode.kind)
            ? 'open'
            : undefined;
      if (!phase) continue;
      await this.guarded(episode, phase, () => this.deliver(target, connection, episode, phase, budget));
    }
  }

  private target(connection: Connection): string | undefined {
    const webhook = alertWebhookOf(connection, this.env);
    if (webhook.url === undefined && webhook.problem && !this.said.has(`${connection.id}\t${webhook.problem}`)) {
      this.said.add(`${connection.id}\t${webhook.problem}`);
      activityBits().log.warn(`Alerts of ${connection.id} are not sent: ${webhook.problem}`, { connectionId: connection.id });
    }
    return this.store ? webhook.url : undefined;
  }

  private async guarded(key: AlertEpisodeKey, phase: AlertPhase, body: (store: AlertEpisodeStore) => Promise<void>): Promise<void> {
    try {
      await body(this.store!);
    } catch (error) {
      activityBits().log.warn(`Alert ${key.kind} (${phase}) of ${key.connectionId}/${key.subject}: the alert state failed: ${(error as Error).message}`, {
        connectionId: key.connectionId,
      });
    }
  }

  /** Claims the alert (so no other worker sends it meanwhile), sends it, and remembers it after a 2xx; else releases it. */
  private async deliver(url: string, connection: Connection, key: AlertEpisodeKey, phase: AlertPhase, budget: SendBudget = {}): Promise<void> {
    const store = this.store!;
    const attempts = Math.max(1, budget.attempts ?? this.attempts);
    const timeoutMs = budget.attemptTimeoutMs ?? this.attemptTimeoutMs;
    const leaseMs = attempts * (timeoutMs + this.backoffMs * 2 ** attempts) + 10_000;
    const episode = await store.claimAlert(key, phase, leaseMs, phase === 'open' ? openAlertDelayMs(connection, key.kind) : 0);
    if (!episode) return; // sent already, not due yet, or another worker is sending it now
    const { log, cancellation } = activityBits();
    const payload = alertPayloadOf(connection, episode, phase);
    let lastFailure = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (cancellation?.aborted) break;
      try {
        const timeout = AbortSignal.timeout(timeoutMs);
        await this.post(url, payload, cancellation ? AbortSignal.any([timeout, cancellation]) : timeout);
      } catch (error) {
        lastFailure = sendFailure(error);
        if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, this.backoffMs * 2 ** (attempt - 1)));
        continue;
      }
      // Accepted: remembered (a store failing here is logged by the caller; the lease keeps others off meanwhile).
      await store.alertSent(key, phase);
      // Kind and subject only: an order's reason may name its customer, and logs are plain text.
      log.info(`Alert sent: ${key.kind} ${payload.state} of ${key.connectionId}/${key.subject}`, {
        connectionId: key.connectionId,
        alertKind: key.kind,
        alertState: payload.state,
      });
      return;
    }
    await store.releaseAlert(key).catch(() => undefined);
    log.warn(`Alert ${key.kind} ${payload.state} of ${key.connectionId}/${key.subject} not sent (${lastFailure}); it is tried again at the next check`, {
      connectionId: key.connectionId,
      alertKind: key.kind,
      alertState: payload.state,
    });
  }
}
