/** Each connection's source connector behind its guard (request limits, and waiting out an outage with one probe at a time). */
import { createHash } from 'node:crypto';
import type { Connection } from '../domain';
import { createSourceConnector, type SourceConnector } from '../connectors';
import type { ActivityDeps } from './context';
import { SourceGuard } from './source-guard';

export interface GuardedSource {
  source: SourceConnector<unknown>;
  guard: SourceGuard;
}

/** This process's share of a connection's request limits (see `ActivityDeps.centralWorkers`). */
export function requestLimitsOfThisProcess(connection: Connection, centralWorkers: number): { maxConcurrent: number; perSecond: number } {
  const share = connection.sourceKind === 'omni' ? 1 : Math.max(1, centralWorkers);
  return {
    maxConcurrent: Math.max(1, Math.floor(connection.requestLimits.maxConcurrent / share)),
    perSecond: connection.requestLimits.perSecond / share,
  };
}

/** The guarded source of a connection: one guard per connection, rebuilt when its endpoint, limits or credentials change. */
export function guardedSources(deps: Pick<ActivityDeps, 'secretsOf' | 'centralWorkers' | 'guardTiming'>): (connection: Connection) => GuardedSource {
  const guards = new Map<string, { fingerprint: string; guard: SourceGuard }>();
  return (connection) => {
    const secrets = deps.secretsOf(connection);
    const source = createSourceConnector(connection, secrets) as SourceConnector<unknown>;
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([connection.endpoint, connection.requestLimits, secrets]))
      .digest('hex');
    let entry = guards.get(connection.id);
    if (entry?.fingerprint !== fingerprint) {
      const guard = new SourceGuard(`${connection.sourceKind} source of ${connection.id}`, connection.sourceKind, () => source.ping(), {
        ...requestLimitsOfThisProcess(connection, deps.centralWorkers ?? 1),
        ...deps.guardTiming,
      });
      entry = { fingerprint, guard };
      guards.set(connection.id, entry);
    }
    const g = entry.guard;
    const guarded: SourceConnector<unknown> = {
      kind: source.kind,
      ping: () => g.request(() => source.ping()),
      listProducts: (cursor, pageSize) => g.request(() => source.listProducts(cursor, pageSize)),
      findOrder: (code) => g.request(() => source.findOrder(code)),
      createOrder: (document) => g.request(() => source.createOrder(document)),
    };
    return { source: guarded, guard: g };
  };
}
