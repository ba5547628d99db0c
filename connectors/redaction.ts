/** Keeps credentials out of everything a connector error carries: messages, causes and stack traces. */

const SECRET_PARAM = /^(pass(word)?|pwd|token|api[_-]?key|secret|access[_-]?token|authorization)$/i;
const REDACTED = '***';

/**
 * Replaces the value of every credential-looking query parameter (Password, token, ...) in a URL or in any
 * text holding URLs / query strings. Works on absolute and relative URLs and on bare `a=b&c=d` text.
 */
export function redactUrl(text: string): string {
  return text.replace(/([?&;])([^=&#\s"']+)=([^&#\s"']*)/g, (whole, sep: string, key: string) => {
    let name = key;
    try {
      name = decodeURIComponent(key.replace(/\+/g, ' '));
    } catch {
      /* keep raw */
    }
    return SECRET_PARAM.test(name) ? `${sep}${key}=${REDACTED}` : whole;
  });
}

/** How a secret may be written in a text: plain, URL-encoded, form-encoded, inside a JSON string. */
export function secretSpellings(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2), JSON.stringify(secret).slice(1, -1)])];
}

/**
 * Replaces every spelling of every secret by `***`, whatever the secret's length (an empty one is
 * no secret): the longest first, so a secret that holds a shorter one leaves no part of it behind.
 */
export function scrubSecrets(text: string, secrets: readonly string[], spell: (secret: string) => string[] = secretSpellings): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret === '') continue;
    for (const spelling of spell(secret)) out = out.split(spelling).join(REDACTED);
  }
  return out;
}

/** Scrubs the given secret values (see `scrubSecrets`) and credential-looking query parameters out of a text. */
export function scrub(text: string, secrets: readonly string[] = []): string {
  return scrubSecrets(redactUrl(text), secrets);
}

/** A plain Error standing in for the original failure: no config, no request, no response, no URL. */
export class SanitizedCause extends Error {
  readonly code: string | undefined;
  constructor(name: string, message: string, code: string | undefined, stack: string | undefined) {
    super(message);
    this.name = name;
    this.code = code;
    if (stack !== undefined) this.stack = stack;
  }
}

export function sanitize(error: unknown, secrets: readonly string[]): SanitizedCause {
  if (error instanceof Error) {
    const rawCode: unknown = (error as Error & { code?: unknown }).code;
    const code = typeof rawCode === 'string' ? rawCode : undefined;
    const message = scrub(error.message, secrets);
    return new SanitizedCause(error.name, message, code, sanitizedStack(error, message));
  }
  return new SanitizedCause('Error', scrub(String(error), secrets), undefined, undefined);
}

/**
 * The header rebuilt from the scrubbed message, then only the original's first run of `    at ...` frame lines
 * (code locations, never data). Anything else in the original stack (e.g. a "Caused by:" block) is dropped.
 */
function sanitizedStack(error: Error, message: string): string | undefined {
  if (error.stack === undefined) return undefined;
  const lines = error.stack.split('\n');
  const first = lines.findIndex((line) => /^\s+at /.test(line));
  const frames: string[] = [];
  if (first >= 0) {
    for (const line of lines.slice(first)) {
      if (!/^\s+at /.test(line)) break;
      frames.push(redactUrl(line));
    }
  }
  return [`${error.name}: ${message}`, ...frames].join('\n');
}
