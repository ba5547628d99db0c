/**
 * Every workflow of a connection starts with the connection as its fairness key; its activities and
 * continued runs inherit it. With fairness on (`matching.enableFairness`, docs/deploy.md), a task queue
 * dispatches the connections' tasks in turn, so one client's burst of orders never queues every other
 * client's workflows behind it.
 */
import type { Priority } from '@temporalio/common';

/** Fairness keys are limited to 64 bytes; a longer connection id keeps its start and a hash of the whole. */
const MAX_FAIRNESS_KEY_BYTES = 64;

export function connectionPriority(connectionId: string): Priority {
  return { fairnessKey: fairnessKeyOf(connectionId) };
}

export function fairnessKeyOf(connectionId: string): string {
  if (Buffer.byteLength(connectionId) <= MAX_FAIRNESS_KEY_BYTES) return connectionId;
  // FNV-1a, 32 bits: enough to keep two long ids apart; the key is no secret.
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(connectionId)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return `${prefixWithinBytes(connectionId, MAX_FAIRNESS_KEY_BYTES - 9)}~${hash.toString(16).padStart(8, '0')}`;
}

/** The longest start of `text` of at most `bytes` UTF-8 bytes that cuts no character in two. */
function prefixWithinBytes(text: string, bytes: number): string {
  let prefix = '';
  for (const char of text) {
    if (Buffer.byteLength(prefix + char) > bytes) break;
    prefix += char;
  }
  return prefix;
}
