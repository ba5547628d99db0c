import type { ActiveFaults } from './faults';

/** A request as a simulator's route sees it: path decoded, body parsed from JSON. */
export interface SimRequest {
  method: string;
  /** Decoded path, e.g. `/Sales Order/`. */
  path: string;
  query: URLSearchParams;
  /** Parsed JSON body; undefined when the body is empty. */
  body: unknown;
  /** Values of the route's `:name` segments, decoded. */
  params: Record<string, string>;
  /** The fault set active when the request arrived, for the faults a system applies itself (e.g. commitDelayMs). */
  faults: Readonly<ActiveFaults>;
  /** When the request arrived (ms since the epoch), before any injected latency. */
  receivedAt: number;
}

export interface SimResponse {
  status: number;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is instead of `body` (e.g. a malformed answer). */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** Runs once the answer has been flushed (e.g. going offline after saying so). */
  after?: () => void;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Literal segments and `:name` captures, e.g. `/orders/:code/failure`; a trailing slash counts. */
  path: string;
  /** A create: the target of `loseCreateResponse`. */
  creates?: boolean;
  /** Answered without credentials (a login). */
  public?: boolean;
  handle(request: SimRequest): SimResponse | Promise<SimResponse>;
}

export function json(status: number, body: unknown, headers?: Record<string, string>): SimResponse {
  return headers ? { status, body, headers } : { status, body };
}

/** Decodes each segment on its own, so an encoded `/` inside a code stays inside that segment. */
export function decodeSegments(rawPath: string): string[] {
  return rawPath.split('/').map((segment) => decodeURIComponent(segment));
}

export function matchRoute(
  routes: readonly Route[],
  method: string,
  segments: readonly string[],
): { route: Route; params: Record<string, string> } | { route: undefined; pathMatched: boolean } {
  let pathMatched = false;
  for (const route of routes) {
    const params = matchPath(route.path, segments);
    if (!params) continue;
    pathMatched = true;
    if (route.method === method) return { route, params };
  }
  return { route: undefined, pathMatched };
}

function matchPath(pattern: string, segments: readonly string[]): Record<string, string> | undefined {
  const parts = pattern.split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const segment = segments[i] as string;
    if (part.startsWith(':')) {
      if (segment === '') return undefined;
      params[part.slice(1)] = segment;
    } else if (part !== segment) {
      return undefined;
    }
  }
  return params;
}
