/**
 * What one intake lets callers hold before any of them is known: sockets (in all and per client
 * address) and bytes of bodies being read (in all and per address). A call reserves the bytes it may
 * send (its declared length, or the body limit when chunked) before its body is read, and gives them
 * back when it is answered; a call that does not fit is refused at once, so an attacker's slow or
 * large bodies cannot starve the memory a valid call needs.
 */
import type { Socket } from 'node:net';

export interface IntakeLimitSettings {
  /** Sockets open at once, all callers together. */
  maxConnections: number;
  /** Sockets open at once from one address. */
  maxConnectionsPerAddress: number;
  /** Bytes of bodies being read at once, all callers together. */
  maxBytesInFlight: number;
  /** Bytes of bodies being read at once from one address. */
  maxBytesInFlightPerAddress: number;
}

export const DEFAULT_INTAKE_LIMITS: IntakeLimitSettings = {
  maxConnections: 1024,
  maxConnectionsPerAddress: 64,
  maxBytesInFlight: 32 * 1024 * 1024,
  maxBytesInFlightPerAddress: 4 * 1024 * 1024,
};

const addressOf = (socket: Socket): string => socket.remoteAddress ?? 'unknown';

function adjust(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
}

export class IntakeLimits {
  private readonly socketsByAddress = new Map<string, number>();
  private readonly bytesByAddress = new Map<string, number>();
  private bytesInFlight = 0;

  constructor(readonly settings: IntakeLimitSettings) {}

  /** Counts a new socket; false when its address already holds its share (the caller closes it). */
  admitSocket(socket: Socket): boolean {
    const address = addressOf(socket);
    if ((this.socketsByAddress.get(address) ?? 0) >= this.settings.maxConnectionsPerAddress) return false;
    adjust(this.socketsByAddress, address, 1);
    socket.once('close', () => adjust(this.socketsByAddress, address, -1));
    return true;
  }

  /** Reserves `bytes` for a body from this socket's address; a release function, or null when it does not fit. */
  reserveBody(socket: Socket, bytes: number): (() => void) | null {
    const address = addressOf(socket);
    const ofAddress = this.bytesByAddress.get(address) ?? 0;
    if (this.bytesInFlight + bytes > this.settings.maxBytesInFlight || ofAddress + bytes > this.settings.maxBytesInFlightPerAddress) return null;
    this.bytesInFlight += bytes;
    adjust(this.bytesByAddress, address, bytes);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.bytesInFlight -= bytes;
      adjust(this.bytesByAddress, address, -bytes);
    };
  }

  /** For tests and the log: what is held now. */
  held(): { sockets: number; bytesInFlight: number } {
    let sockets = 0;
    for (const count of this.socketsByAddress.values()) sockets += count;
    return { sockets, bytesInFlight: this.bytesInFlight };
  }
}
