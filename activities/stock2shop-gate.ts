/**
 * The Stock2Shop rate limit is the account's (about 3 requests per second), for every process that
 * calls as any of its users: each process applies its share, split as the source limits are. An
 * account whose sources include an Omni connection is called by that connection's agent too: the
 * agents take half, the central workers the other half, split between them (CENTRAL_WORKERS).
 * A 429 pauses the account's calls in this process for a second (Stock2Shop sends no Retry-After)
 * and, when it announces its limit (`x-S2S-RateLimit`), brings this process's share down to it.
 */
import type { Stock2ShopGate } from '../connectors';
import { stock2shopAccountOf, type Connection } from '../domain';
import { RatePacer } from './rate-pacer';

const RATE_LIMITED_PAUSE_MS = 1000;

/** This process's requests per second for the account of `connection`. */
export function stock2shopShareOfThisProcess(
  connection: Connection,
  connections: readonly Connection[],
  role: 'central' | 'agent',
  centralWorkers: number,
): number {
  const account = stock2shopAccountOf(connection);
  const ofAccount = connections.filter((c) => stock2shopAccountOf(c) === account);
  const agents = ofAccount.filter((c) => c.sourceKind === 'omni').length;
  const limit = connection.stock2shop.requestsPerSecond;
  if (role === 'agent') return limit / 2 / Math.max(1, agents);
  return (agents > 0 ? limit / 2 : limit) / Math.max(1, centralWorkers);
}

class AccountGate implements Stock2ShopGate {
  private readonly pacer: RatePacer;

  constructor(
    perSecond: number,
    private readonly shareOfAnnounced: number,
  ) {
    this.pacer = new RatePacer(perSecond);
  }

  take(): Promise<void> {
    return this.pacer.take();
  }

  limited(announced: number | undefined): void {
    this.pacer.pause(RATE_LIMITED_PAUSE_MS);
    if (announced !== undefined) this.pacer.slowTo(announced * this.shareOfAnnounced);
  }
}

/** One gate per account in this process, built with its share when first asked. */
export function stock2shopGates(
  role: 'central' | 'agent',
  centralWorkers: number,
  connections: () => readonly Connection[],
): (connection: Connection) => Stock2ShopGate {
  const gates = new Map<string, Stock2ShopGate>();
  return (connection) => {
    const account = `${stock2shopAccountOf(connection)}|${connection.stock2shop.requestsPerSecond}`;
    let gate = gates.get(account);
    if (!gate) {
      const perSecond = stock2shopShareOfThisProcess(connection, connections(), role, centralWorkers);
      gates.set(account, (gate = new AccountGate(perSecond, perSecond / connection.stock2shop.requestsPerSecond)));
    }
    return gate;
  };
}
