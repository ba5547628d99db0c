import { z } from 'zod';

/** The fault set of simulators/README.md; every field optional, merged into the active set. */
export const FaultSetSchema = z.strictObject({
  offline: z.boolean().optional(),
  offlineForMs: z.number().int().positive().optional(),
  latencyMs: z.number().int().min(0).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  status: z.number().int().min(400).max(599).optional(),
  retryAfterSeconds: z.number().int().min(0).optional(),
  authFailure: z.boolean().optional(),
  malformed: z.union([z.boolean(), z.literal('text')]).optional(),
  loseCreateResponse: z.number().int().min(0).optional(),
  /** Keep the port but reset every connection at once (logged as `refused`), so refusals can be counted. */
  refuseConnections: z.boolean().optional(),
  /** A created order becomes visible (find, list, duplicate check) only this long after its create arrived. */
  commitDelayMs: z.number().int().min(0).optional(),
  /** A find by reference / PONumber ignores the filter and answers every visible order. */
  ignoreFindFilter: z.boolean().optional(),
  /** A find answers its orders without the reference / PONumber field. */
  omitFindReference: z.boolean().optional(),
  /**
   * Requests whose decoded `<path>?<query>` contains one of these texts get their connection reset,
   * unanswered (a firewall rule on one path, a crashed module behind it); every other path answers.
   */
  resetRequestsMatching: z.array(z.string().min(1)).optional(),
});

export type FaultSet = z.infer<typeof FaultSetSchema>;

/** The faults that shape answers; `offline` / `offlineForMs` are transitions and are not kept here. */
export type ActiveFaults = Omit<FaultSet, 'offline' | 'offlineForMs'>;

export function mergeFaults(active: ActiveFaults, update: FaultSet): ActiveFaults {
  const { offline: _offline, offlineForMs: _offlineForMs, ...shaping } = update;
  const merged: ActiveFaults = { ...active };
  for (const [key, value] of Object.entries(shaping)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

export const DEFAULT_ERROR_STATUS = 503;
export const DEFAULT_RETRY_AFTER_SECONDS = 1;
