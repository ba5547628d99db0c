/**
 * A TCP proxy (node:net) between a process and a server, whose network can be dropped: packets lost,
 * not refused. `drop()` stops forwarding in both directions and closes nothing: no RST, no FIN, no
 * byte reaches either side. A connection opened meanwhile is accepted (the proxy is on loopback) but
 * reaches nothing, as a SYN lost on the way. `restore()` forwards again: what was held flows on,
 * in order, as TCP retransmits it once the line is back, then any close held meanwhile; a connection
 * opened during the drop reaches the server then.
 *
 * Bytes are held, never discarded: discarding a part of a TCP stream is something no network does
 * (TCP retransmits it), and would corrupt the stream rather than delay it.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface DroppingProxy {
  /** `127.0.0.1:<port>`: what the process behind the proxy dials instead of the server. */
  address: string;
  drop(): void;
  restore(): void;
  /** How many connections the proxy has accepted, and how many were opened during drops. */
  stats(): { connections: number; openedWhileDropped: number };
  close(): Promise<void>;
}

interface Waiting {
  client: Socket;
  sent: Buffer[];
  /** The process closed it before the restore. */
  ended: boolean;
  /** Stops keeping what it sends: it is forwarded from now on. */
  release: () => void;
}

export async function startDroppingProxy(target: { host: string; port: number }): Promise<DroppingProxy> {
  let dropped = false;
  let connections = 0;
  let openedWhileDropped = 0;
  const sockets = new Set<Socket>();
  /** Accepted during a drop, with what they sent meanwhile: linked to the server at the restore, unless given up. */
  let waiting: Waiting[] = [];
  /** Closes that happened during a drop, passed on at the restore. */
  let heldCloses: (() => void)[] = [];

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // An error is passed on as a close (below); it must not throw.
    socket.on('error', () => undefined);
  };

  /** `from`'s bytes and end to `to`, paused while dropped; a reset or close of `from` destroys `to`. */
  const forward = (from: Socket, to: Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (!dropped) from.resume();
    });
    from.on('end', () => to.end());
    from.on('close', (hadError) => {
      if (!hadError) return; // an orderly close arrives as 'end' first
      if (dropped) heldCloses.push(() => to.destroy());
      else to.destroy();
    });
  };

  const link = (client: Socket, sent: Buffer[] = []) => {
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    track(upstream);
    for (const chunk of sent) upstream.write(chunk);
    forward(client, upstream);
    forward(upstream, client);
    if (!dropped) client.resume();
  };

  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    connections += 1;
    track(client);
    if (dropped) {
      openedWhileDropped += 1;
      // Read (and kept) to learn whether the process gives the connection up before the restore.
      const sent: Buffer[] = [];
      const keep = (chunk: Buffer) => sent.push(chunk);
      const gaveUp = () => (entry.ended = true);
      const entry: Waiting = { client, sent, ended: false, release: () => client.off('data', keep).off('end', gaveUp) };
      client.on('data', keep).once('end', gaveUp);
      waiting.push(entry);
      client.resume();
      return;
    }
    link(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };

  return {
    address: `127.0.0.1:${port}`,
    drop() {
      dropped = true;
      // A paused socket reads nothing more: its bytes, its end and its reset wait in the kernel and the stream.
      for (const socket of sockets) socket.pause();
    },
    restore() {
      dropped = false;
      const linking = waiting;
      waiting = [];
      const closes = heldCloses;
      heldCloses = [];
      for (const socket of sockets) if (!linking.some((entry) => entry.client === socket)) socket.resume();
      // A connection given up during the drop never reached the server (its SYN was lost); one still open reaches it now.
      for (const { client, sent, ended, release } of linking) {
        release();
        if (ended || client.destroyed) client.destroy();
        else link(client, sent);
      }
      for (const close of closes) close();
    },
    stats: () => ({ connections, openedWhileDropped }),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
