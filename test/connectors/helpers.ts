/** Shared assertions of the connector tests. */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';

type ErrorClass<T extends Error> = abstract new (...args: never[]) => T;

/** Awaits a promise that must reject with `Class`; returns the error for further checks. */
export async function rejectsWith<T extends Error>(promise: Promise<unknown>, Class: ErrorClass<T>): Promise<T> {
  let outcome: unknown;
  try {
    outcome = await promise;
  } catch (error) {
    assert.ok(error instanceof Class, `expected ${Class.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return error;
  }
  assert.fail(`expected ${Class.name}, but it resolved with ${inspect(outcome)}`);
}

/**
 * Asserts no secret appears anywhere in an error: message, stack, every enumerable property, the whole `cause`
 * chain (as util.inspect shows it, depth unbounded) and its JSON form.
 */
export function assertNoSecrets(error: unknown, secrets: readonly string[]): void {
  const views: string[] = [inspect(error, { depth: Infinity, showHidden: false })];
  views.push(JSON.stringify(error) ?? '');
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current instanceof Error; depth++) {
    views.push(current.message, current.stack ?? '', inspect(current, { depth: Infinity, showHidden: true }));
    current = current.cause;
  }
  for (const secret of secrets) {
    const spellings = new Set([secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)]);
    for (const view of views) {
      for (const spelling of spellings) {
        assert.ok(!view.includes(spelling), `secret leaked (${spelling.length} chars) in: ${view.slice(0, 400)}`);
      }
    }
  }
}
