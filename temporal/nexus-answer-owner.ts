/**
 * Whose payloads a Nexus handler's answer is. The SDK encodes a handler's answer naming no workflow,
 * so in a process holding more than one ring (`npm start`, tests) the codec cannot tell whose it is:
 * the handler says so for the request it is answering (its own connection).
 */
// Not re-exported by the package's index (1.24.0, pinned): the per-request context the SDK keeps while it answers.
import { getHandlerContext } from '@temporalio/nexus/lib/context';

const owners = new WeakMap<object, string>();

/** In a Nexus handler: the answer to this request belongs to `connectionId`. */
export function answerBelongsTo(connectionId: string): void {
  owners.set(getHandlerContext(), connectionId);
}

/** The connection the Nexus request being answered belongs to; undefined outside a handler, or when none was said. */
export function nexusAnswerOwner(): string | undefined {
  try {
    return owners.get(getHandlerContext());
  } catch {
    return undefined; // not in a Nexus handler
  }
}
