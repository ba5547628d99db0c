/**
 * What every activity works with: its dependencies (ActivityDeps, built by the worker from its
 * configuration) and what the activities of a process share (the connections' guards, the problem
 * ledger, the alerter, the Stock2Shop timing). `createActivities` builds one context per worker.
 */
import type { KeyObject } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { stock2shopAccountOf, type Connection } from '../domain';
import type { SourceSecrets, Stock2ShopClient } from '../connectors';
import { problemLedgerOf, type ProblemLedger, type ProductStateStore } from '../store/product-state';
import { alertEpisodeStoreOf, type AlertEpisodeStore } from '../store/alert-episodes';
import { sealingLedger } from '../store/sealed-problems';
import { invalidConnection, unknownConnection } from './failures';
import { guardedSources, type GuardedSource } from './guarded-source';
import type { SourceGuardOptions } from './source-guard';
import { Alerter, type AlerterOptions } from './alerts';
import { Stock2ShopLatency } from './stock2shop-latency';
import { workerTextSealer } from './text-sealer';

export interface ActivityDeps {
  /** The connections in use (the valid ones, no I/O: `ConnectionRegistry`); a fixed file applies to the next retry. */
  connections: () => Connection[];
  /** Why a connection the file holds is not in use (it is invalid: the message names the field); undefined when it is not in the file. */
  connectionProblem?: (connectionId: string) => string | undefined;
  secretsOf: (connection: Connection) => SourceSecrets;
  stock2shopFor: (connection: Connection) => Stock2ShopClient;
  productStore: ProductStateStore;
  /** The problem ledger (`cli status`, `cli problems`); default: the product store's own. Reasons reach it sealed (store/sealed-problems.ts). */
  problems?: ProblemLedger;
  /** Needed only by the activities that start or signal workflows (the poll, the source watch, the pass claim). */
  temporalClient?: Client;
  /**
   * How many central worker processes share the calls to a cloud source (CENTRAL_WORKERS): each applies
   * that share of the connection's request limits, so together they keep them. An Omni connection is
   * served by one agent at a time (its lease) and keeps its whole limits.
   */
  centralWorkers?: number;
  /** How the guards probe a source that is down; the defaults suit production (tests shorten them). */
  guardTiming?: Pick<SourceGuardOptions, 'probeIntervalMs' | 'maxWaitMs'>;
  /** Where alert episodes are kept; default: the product store's own (store/alert-episodes.ts). */
  alertEpisodes?: AlertEpisodeStore;
  /** How alerts are sent (the environment their webhook URL is read from, the sender, tries); the defaults suit production. */
  alerts?: AlerterOptions;
  /** The central side's key for the grants confined agents require (temporal/agent-grant.ts); agents hold none. */
  grantSigningKey?: KeyObject;
}

export interface ActivityContext {
  deps: ActivityDeps;
  problems: ProblemLedger | undefined;
  alertEpisodes: AlertEpisodeStore | undefined;
  alerter: Alerter;
  /** The connection in use by that id; else a non-retryable error naming the ids there are, or the field that is wrong. */
  connectionById(connectionId: string): Connection;
  /** The worker's Temporal client, for the activities that start or signal workflows. */
  temporalClient(activity: string): Client;
  /** The connection's Stock2Shop client, each call timed for its account. */
  stock2shopOf(connection: Connection): Stock2ShopClient;
  /** In a local activity, hands a slow Stock2Shop to an activity task before it calls, holding no workflow-task slot. */
  handOverIfSlow(connection: Connection): void;
  /** The connection's source, every request of it through the connection's guard. */
  guardedSource(connection: Connection): GuardedSource;
  /**
   * An order needs nobody any more (raised, now or before): its problem closes and its alert episode
   * ends. `how` goes into the alert: the engine's words and codes only (`is raised, as SO000123`).
   */
  orderNeedsNobody(connection: Connection, channelOrderCode: string, how: string): Promise<void>;
}

/** Running as a local activity (false outside any activity, as when a test calls one directly). */
function isLocalActivity(): boolean {
  try {
    return Context.current().info.isLocal;
  } catch {
    return false;
  }
}

export function activityContext(deps: ActivityDeps): ActivityContext {
  const ledger = deps.problems ?? problemLedgerOf(deps.productStore);
  const problems = ledger && sealingLedger(ledger, workerTextSealer);
  const alertEpisodes = deps.alertEpisodes ?? alertEpisodeStoreOf(deps.productStore);
  const alerter = new Alerter(alertEpisodes, deps.alerts);
  /** Every Stock2Shop call of the process timed per account, so a local activity knows a slow one. */
  const latency = new Stock2ShopLatency();
  return {
    deps,
    problems,
    alertEpisodes,
    alerter,
    connectionById: (connectionId) => connectionOf(deps, connectionId),
    temporalClient: (activity) => {
      if (!deps.temporalClient) throw new Error(`${activity} needs a Temporal client in the activity dependencies`);
      return deps.temporalClient;
    },
    stock2shopOf: (connection) => latency.watch(deps.stock2shopFor(connection), stock2shopAccountOf(connection)),
    handOverIfSlow: (connection) => {
      if (isLocalActivity()) latency.handOverIfSlow(stock2shopAccountOf(connection));
    },
    guardedSource: guardedSources(deps),
    orderNeedsNobody: async (connection, channelOrderCode, how) => {
      await problems?.closeProblems(connection.id, 'order', [channelOrderCode]);
      await alerter.conditionEnded(connection, 'order_needs_attention', channelOrderCode, `order ${channelOrderCode} ${how}`);
    },
  };
}

function connectionOf(deps: ActivityDeps, connectionId: string): Connection {
  const all = deps.connections();
  const connection = all.find((c) => c.id === connectionId);
  if (connection) return connection;
  const problem = deps.connectionProblem?.(connectionId);
  throw problem === undefined
    ? unknownConnection(
        connectionId,
        all.map((c) => c.id),
      )
    : invalidConnection(problem);
}
