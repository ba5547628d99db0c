import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimResponse } from './routes';

const MAX_BODY_BYTES = 64 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON body; an empty body is undefined. Throws SyntaxError on bad JSON. */
export function parseJsonBody(text: string): unknown {
  return text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
}

export function send(response: ServerResponse, answer: SimResponse): void {
  if (response.destroyed || response.writableEnded) return;
  const text = answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
  const contentType = answer.contentType ?? (answer.text === undefined ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8');
  response.writeHead(answer.status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    ...answer.headers,
  });
  response.end(text, answer.after);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
