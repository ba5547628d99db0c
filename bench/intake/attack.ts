/**
 * The attacker, in a process of its own, from 127.0.0.2: keeps ATTACK_SLOW slow 1 MB bodies open (signed-looking headers for a
 * real source, then a trickle), and sends ATTACK_UNSIGNED_PER_SECOND unsigned 1 MB calls each second, until SIGTERM.
 */
import { connect, type Socket } from 'node:net';

const url = new URL(process.env.INTAKE_URL!);
const slowCount = Number(process.env.ATTACK_SLOW ?? 300);
const unsignedPerSecond = Number(process.env.ATTACK_UNSIGNED_PER_SECOND ?? 300);
const MEGABYTE = 1024 * 1024;
const chunk = Buffer.alloc(MEGABYTE, 'x');
let stopping = false;
const counts = { slowOpened: 0, unsignedSent: 0 };

function open(head: string, onClose: () => void): Socket {
  const socket = connect({ host: url.hostname, port: Number(url.port), localAddress: '127.0.0.2' });
  socket.on('error', () => undefined);
  socket.on('close', onClose);
  socket.write(head);
  return socket;
}

function slowBody(index: number): void {
  if (stopping) return;
  counts.slowOpened += 1;
  const timestamp = Math.floor(Date.now() / 1000);
  const head = `POST /webhooks/orders/${1000 + (index % 300)} HTTP/1.1\r\nhost: intake\r\ncontent-length: ${MEGABYTE}\r\nx-stock2shop-timestamp: ${timestamp}\r\nx-stock2shop-signature: sha256=${'0'.repeat(64)}\r\n\r\n`;
  const socket = open(head, () => {
    clearInterval(trickle);
    setTimeout(() => slowBody(index), 100);
  });
  const trickle = setInterval(() => socket.write(chunk.subarray(0, 1024)), 500);
}

function unsignedCall(): void {
  counts.unsignedSent += 1;
  const socket = open(`POST /webhooks/orders/1000 HTTP/1.1\r\nhost: intake\r\ncontent-length: ${MEGABYTE}\r\n\r\n`, () => undefined);
  socket.write(chunk);
  setTimeout(() => socket.destroy(), 2_000);
}

for (let i = 0; i < slowCount; i++) slowBody(i);
const ticker = setInterval(() => {
  for (let i = 0; i < unsignedPerSecond / 10; i++) unsignedCall();
}, 100);
process.once('SIGTERM', () => {
  stopping = true;
  clearInterval(ticker);
  process.stdout.write(`ATTACK_COUNTS ${JSON.stringify(counts)}\n`);
  process.exit(0);
});
