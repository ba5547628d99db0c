/** What a simulator did with one request (control calls are not logged). */
export type RequestOutcome =
  | 'answered' // the system's own answer, success or rejection
  | 'invalid-request' // unreadable body or path
  | 'unauthorized' // wrong credentials
  | 'refused' // over a limit the system enforces (e.g. Stock2Shop's 429)
  | 'not-found'
  | 'fault:error' // errorRate
  | 'fault:auth' // authFailure
  | 'fault:malformed'
  | 'fault:lost-response' // loseCreateResponse: stored, then the socket destroyed
  | 'fault:reset' // resetRequestsMatching: the connection reset, unanswered
  | 'failed' // the simulator itself threw (500)
  | 'dropped' // the connection closed before the answer (e.g. the system went offline)
  | 'refused'; // refuseConnections: the connection was reset before any request was read

export interface RequestLogEntry {
  at: string;
  method: string;
  /** The path as decoded, e.g. `/Stock Item/`. */
  path: string;
  /** Query parameters, secret ones replaced by `***`. */
  query: Record<string, string>;
  /** The status answered, or null when no answer was sent. */
  status: number | null;
  outcome: RequestOutcome;
  durationMs: number;
}

export const REDACTED = '***';

export class RequestLog {
  private entries: RequestLogEntry[] = [];

  constructor(
    private readonly secretKeys: readonly string[],
    private readonly limit: number,
  ) {}

  redactedQuery(query: URLSearchParams): Record<string, string> {
    const secret = new Set(this.secretKeys.map((key) => key.toLowerCase()));
    const result: Record<string, string> = {};
    for (const [key, value] of query) result[key] = secret.has(key.toLowerCase()) ? REDACTED : value;
    return result;
  }

  add(entry: RequestLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  all(): RequestLogEntry[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries = [];
  }
}
